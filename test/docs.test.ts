// The docs are the service's API: the configuration table, config.example.env
// and the table of exit and error codes must say exactly what the code does.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { ENV_SCHEMA, EXAMPLES } from '../src/settings.js'
import { EXIT_CODES } from '../src/exit-codes.js'
import { PROJECT } from './helper.js'

const read = (path: string) => readFileSync(new URL(path, PROJECT), 'utf8')
const configuration = read('docs/configuration.md')
const errors = read('docs/errors.md')
const exampleFile = new URL('config.example.env', PROJECT)
const example = readFileSync(exampleFile, 'utf8')
const variables = Object.keys(EXAMPLES).sort()

/** The rows of the first Markdown table after `heading`, as arrays of trimmed cells. */
function table (markdown: string, heading: string): string[][] {
  const lines = markdown.slice(markdown.indexOf(heading)).split('\n')
  const start = lines.findIndex(line => line.startsWith('|'))
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'))
  return lines.slice(start + 2, end).map(line => line.slice(1, -1).split('|').map(cell => cell.trim()))
}

t.test('the configuration table lists every variable, and only those', async t => {
  const documented = [...configuration.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map(match => match[1]).sort()
  t.same(documented, variables)
})

t.test('each documented default is the schema default', async t => {
  const properties = ENV_SCHEMA.properties as Record<string, { default?: unknown }>
  for (const [cell, defaultCell] of table(configuration, '# Configuration')) {
    const variable = /^`([A-Z0-9_]+)`$/.exec(cell!)![1]!
    const expected = properties[variable]!.default
    const documented = /^`([^`]*)`/.exec(defaultCell!)?.[1]
    t.equal(documented, expected === undefined ? undefined : String(expected), variable)
    if (expected === undefined) t.equal(defaultCell, 'unset', `${variable} has no default`)
  }
})

t.test('config.example.env shows every variable, and only those', async t => {
  const shown = [...example.matchAll(/^#?([A-Z0-9_]+)=/gm)].map(match => match[1]).sort()
  t.same([...new Set(shown)], variables)
})

t.test('config.example.env is a valid configuration as shipped, and with every line enabled', async t => {
  t.doesNotThrow(() => loadConfig({}, { dotenvPath: exampleFile.pathname }))
  const everything = Object.fromEntries([...example.matchAll(/^#?([A-Z0-9_]+)=(.*)$/gm)].map(match => [match[1], match[2]]))
  const { MATRIX_DOMAINS_FILE: domainsFile, ...singleDomain } = everything
  const { config } = loadConfig(singleDomain, { dotenvPath: false })
  t.ok(config.documents.server && config.documents.client && config.documents.support)
  t.ok(domainsFile)
})

t.test('the example domains file in deploy/ is valid', async t => {
  const file = new URL('deploy/domains.example.json', PROJECT).pathname
  const { config } = loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false })
  t.same([...config.domainsFile!.hosts.keys()], ['example.com', 'example.org', 'customer-three.example'])
})

t.test('the exit code table is the code\'s, entry for entry', async t => {
  const documented = table(errors, '## Exit codes').map(([code, name]) => [name!.replace(/`/g, ''), Number(code!.replace(/`/g, ''))])
  t.same(Object.fromEntries(documented), EXIT_CODES)
})

t.test('the error code table names every WK_ERR_ code in src/, and only those', async t => {
  const inSource = new Set<string>()
  for (const file of readdirSync(new URL('src/', PROJECT), { recursive: true })) {
    if (!String(file).endsWith('.ts')) continue
    for (const [code] of read(`src/${String(file)}`).matchAll(/WK_ERR_[A-Z0-9_]+/g)) inSource.add(code)
  }
  const documented = table(errors, '## Error codes').map(([code]) => code!.replace(/`/g, ''))
  t.same(documented.sort(), [...inSource].sort())
  t.ok(inSource.size >= 2)
})

t.test('every page the README links to exists', async t => {
  const readme = read('README.md')
  const links = [...readme.matchAll(/\]\(((?:docs|deploy|scripts)\/[^)#]*)\)/g)].map(match => match[1]!)
  t.ok(links.length >= 5)
  for (const link of links) t.doesNotThrow(() => read(link), link)
})
