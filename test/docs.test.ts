// The README table and config.example.env are the service's API: they must name
// exactly the variables the code reads, and the example file must be valid.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { EXAMPLES, loadConfig } from '../src/config.js'

const root = new URL('../', import.meta.url)
const readme = readFileSync(new URL('README.md', root), 'utf8')
const exampleFile = new URL('config.example.env', root)
const example = readFileSync(exampleFile, 'utf8')
const variables = Object.keys(EXAMPLES).sort()

t.test('the README configuration table lists every variable, and only those', async t => {
  const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map(match => match[1]).sort()
  t.same(documented, variables)
})

t.test('config.example.env shows every variable, and only those', async t => {
  const shown = [...example.matchAll(/^#?([A-Z_]+)=/gm)].map(match => match[1]).sort()
  t.same([...new Set(shown)], variables)
})

t.test('config.example.env is a valid configuration as shipped, and with every line enabled', async t => {
  t.doesNotThrow(() => loadConfig({}, { dotenvPath: exampleFile.pathname }))
  const everything = Object.fromEntries([...example.matchAll(/^#?([A-Z_]+)=(.*)$/gm)].map(match => [match[1], match[2]]))
  const { MATRIX_DOMAINS_FILE: domainsFile, ...singleDomain } = everything
  const { config } = loadConfig(singleDomain, { dotenvPath: false })
  t.ok(config.documents.server && config.documents.client && config.documents.support)
  t.ok(domainsFile)
})

t.test('the example domains file in deploy/ is valid', async t => {
  const file = new URL('deploy/domains.example.json', root).pathname
  const { config } = loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false })
  t.same([...config.domains!.domains.keys()], ['example.com', 'example.org', 'customer-three.example'])
})
