import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { ConfigError, loadConfig } from '../src/config.js'
import type { Documents } from '../src/config.js'
import { compareDomains, hostKey, loadDomainsFile, parseDomains, startReloader } from '../src/domains.js'
import { LogLines, configFrom } from './helper.js'

const PROVIDER = {
  'example.com': {
    server: 'matrix.example.com:443',
    client: { 'm.homeserver': { base_url: 'https://matrix.example.com' }, 'org.matrix.msc2965.authentication': { issuer: 'https://auth.example.com/' } },
    support: { contacts: [{ role: 'm.role.admin', email_address: 'ops@example.com' }] }
  },
  'Example.org': { server: 'matrix.example.org:8448' },
  'chat.example.net': { client: { 'm.homeserver': { base_url: 'https://hs.example.net/' }, 'm.identity_server': { base_url: 'https://id.example.net' } } },
  '[2001:db8::1]': { support: { support_page: 'https://example.net/help' } }
}

function tempFile (name: string, content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'wk-domains-'))
  const file = join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

t.test('parses a provider file into documents served exactly as written', async t => {
  const domains = parseDomains(JSON.stringify(PROVIDER), false)
  t.same([...domains.keys()], ['example.com', 'example.org', 'chat.example.net', '[2001:db8::1]'], 'hostnames in lower case')
  t.same(domains.get('example.com'), {
    server: '{"m.server":"matrix.example.com:443"}',
    client: '{"m.homeserver":{"base_url":"https://matrix.example.com"},"org.matrix.msc2965.authentication":{"issuer":"https://auth.example.com/"}}',
    support: '{"contacts":[{"role":"m.role.admin","email_address":"ops@example.com"}]}'
  })
  t.same(domains.get('example.org'), { server: '{"m.server":"matrix.example.org:8448"}' })
  t.ok(Object.isFrozen(domains.get('example.org')))
})

t.test('reads YAML when the name ends in .yaml or .yml', async t => {
  const yaml = 'example.com:\n  server: matrix.example.com:443\n  support:\n    support_page: https://example.com/help\n'
  for (const name of ['domains.yaml', 'domains.YML']) {
    const snapshot = loadDomainsFile(tempFile(name, yaml))
    t.same(snapshot.domains.get('example.com'), { server: '{"m.server":"matrix.example.com:443"}', support: '{"support_page":"https://example.com/help"}' })
    t.match(snapshot.digest, /^[0-9a-f]{64}$/)
  }
})

t.test('refuses a bad file, naming the host and the field', async t => {
  const entry = (value: unknown) => JSON.stringify({ 'example.com': value })
  const cases: Array<[string, RegExp, string?, string?]> = [
    ['{"example.com": {', /^is not valid JSON: /],
    ['[]', /^is not an object mapping hostnames/],
    ['{}', /^lists no hostname$/],
    ['{"exa_mple.com": {"server": "a.b:1"}}', /^host "exa_mple.com" contains "_"/, 'exa_mple.com', 'hostname'],
    ['{"example.com:443": {"server": "a.b:1"}}', /^host "example.com:443" has a port/, 'example.com:443', 'hostname'],
    ['{"example.com": {"server": "a.b:1"}, "EXAMPLE.com": {"server": "a.b:2"}}', /^host "EXAMPLE.com" is listed twice/, 'EXAMPLE.com', 'hostname'],
    [entry('matrix.example.com'), /^host "example.com": entry is not an object/, 'example.com', 'entry'],
    [entry({}), /^host "example.com": entry has none of server, client, support/, 'example.com', 'entry'],
    [entry({ server: 'a.b:1', servr: 'x' }), /^host "example.com": servr is not one of server, client, support/, 'example.com', 'servr'],
    [entry({ server: 443 }), /^host "example.com": server is not a string/, 'example.com', 'server'],
    [entry({ server: 'https://matrix.example.com' }), /^host "example.com": server has a scheme: remove "https:\/\/"/, 'example.com', 'server'],
    [entry({ client: [] }), /^host "example.com": client is not a JSON object/, 'example.com', 'client'],
    [entry({ client: {} }), /client.m.homeserver is missing/, 'example.com', 'client.m.homeserver'],
    [entry({ client: { 'm.homeserver': {} } }), /client.m.homeserver.base_url is missing/, 'example.com', 'client.m.homeserver.base_url'],
    [entry({ client: { 'm.homeserver': { base_url: 42 } } }), /client.m.homeserver.base_url is not a string/],
    [entry({ client: { 'm.homeserver': { base_url: 'http://matrix.example.com' } } }), /client.m.homeserver.base_url uses http:\/\//],
    [entry({ client: { 'm.homeserver': { base_url: 'https://a.example' }, 'm.identity_server': 'x' } }), /client.m.identity_server is not an object/],
    [entry({ client: { 'm.homeserver': { base_url: 'https://a.example' }, 'm.identity_server': { base_url: 'ftp://x.example' } } }), /client.m.identity_server.base_url uses "ftp:"/],
    [entry({ client: { 'm.homeserver': { base_url: 'https://a.example' }, theme: 'dark' } }), /^host "example.com": client has the key "theme", which is not namespaced/],
    [entry({ support: 'x' }), /support is not a JSON object/],
    [entry({ support: {} }), /support has neither contacts nor support_page/],
    [entry({ support: { page: 'x' } }), /support.page is not a support field/],
    [entry({ support: { contacts: [{ role: 'm.role.admin' }] } }), /support.contacts has contact 1 with neither/, 'example.com', 'support.contacts'],
    [entry({ support: { support_page: 'example.com' } }), /support.support_page is not an absolute URL/],
    [entry({ client: { 'm.homeserver': { base_url: 'https://a.example' }, 'org.example.big': 'x'.repeat(13000) } }), /client makes a document of \d+ bytes/]
  ]
  for (const [text, message, host, field] of cases) {
    t.throws(() => parseDomains(text, false), { name: 'DomainsFileError', message, ...(host === undefined ? {} : { host }), ...(field === undefined ? {} : { field }) }, text.slice(0, 60))
  }
  t.throws(() => parseDomains('example.com: [\n', true), { message: /^is not valid YAML: / })
  t.throws(() => loadDomainsFile('/nonexistent/domains.json'), { message: /^cannot be read: ENOENT/, digest: undefined })
  t.throws(() => loadDomainsFile(tempFile('domains.json', '[]')), { message: /^is not an object/, digest: /^[0-9a-f]{64}$/ }, 'a refused file still has its digest')
})

t.test('a request Host becomes a key: lower case, no port, no trailing dot', async t => {
  const cases: Array<[string | undefined, string]> = [
    ['example.com', 'example.com'], ['EXAMPLE.com:8080', 'example.com'], ['example.com.', 'example.com'],
    ['Example.COM.:443', 'example.com'], ['[2001:DB8::1]:443', '[2001:db8::1]'], ['[::1]', '[::1]'], ['', ''], [undefined, '']
  ]
  for (const [host, key] of cases) t.equal(hostKey(host), key, String(host))
})

t.test('counts hosts added, removed and changed', async t => {
  const before = new Map<string, Documents>([['a.example', { server: '1' }], ['b.example', { server: '2' }], ['c.example', { client: '3' }]])
  const after = new Map<string, Documents>([['a.example', { server: '1' }], ['b.example', { server: '9' }], ['d.example', { support: '4' }], ['c.example', { client: '3', support: '5' }]])
  t.same(compareDomains(before, after), { hosts: 4, added: 1, removed: 0, changed: 2 })
  t.same(compareDomains(after, new Map()), { hosts: 0, added: 0, removed: 4, changed: 0 })
})

t.test('MATRIX_DOMAINS_FILE loads at start-up, alone, or fails with one line', async t => {
  const file = tempFile('domains.json', PROVIDER)
  const { config } = loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false })
  t.equal(config.domains?.file, file)
  t.equal(config.domains?.domains.size, 4)
  t.same(config.documents, {})
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env, { dotenvPath: false })
    } catch (err) {
      return (err as ConfigError).problems
    }
    return []
  }
  t.match(problems({ MATRIX_DOMAINS_FILE: file, MATRIX_SERVER: 'a.b:443', MATRIX_SUPPORT_PAGE: 'https://x.example' }),
    [/^MATRIX_DOMAINS_FILE=".*" cannot be combined with MATRIX_SERVER, MATRIX_SUPPORT_PAGE: describe every host in the file/])
  const bad = tempFile('domains.json', { 'example.com': { server: 'matrix.example.com:0' } })
  t.match(problems({ MATRIX_DOMAINS_FILE: bad }),
    [/^MATRIX_DOMAINS_FILE=".*domains.json" host "example.com": server has port 0, outside 1–65535 \(example: MATRIX_DOMAINS_FILE=/])
  t.match(problems({ MATRIX_DOMAINS_FILE: '/nonexistent.json' }), [/cannot be read: ENOENT/])
  t.ok(ConfigError)
})

t.test('answers each host with its own documents, and unknown hosts with 404', async t => {
  const file = tempFile('domains.json', PROVIDER)
  const app = await buildApp(configFrom({ MATRIX_DOMAINS_FILE: file }), { logStream: new LogLines() })
  t.teardown(() => app.close())
  const get = (url: string, host: string, headers = {}) => app.inject({ url, headers: { host, ...headers } })
  for (const host of ['example.com', 'EXAMPLE.COM', 'example.com:443', 'example.com.', 'Example.Com.:8443']) {
    const response = await get('/.well-known/matrix/server', host)
    t.equal(response.body, '{"m.server":"matrix.example.com:443"}', host)
    t.equal(response.headers['access-control-allow-origin'], '*')
  }
  t.equal((await get('/.well-known/matrix/server', 'example.org')).body, '{"m.server":"matrix.example.org:8448"}')
  t.equal((await get('/.well-known/matrix/client', 'chat.example.net')).json()['m.homeserver'].base_url, 'https://hs.example.net/')
  t.equal((await get('/.well-known/matrix/support', '[2001:db8::1]:443')).json().support_page, 'https://example.net/help')

  const missingDocument = await get('/.well-known/matrix/client', 'example.org')
  t.equal(missingDocument.statusCode, 404)
  t.same(missingDocument.json(), { errcode: 'M_NOT_FOUND', error: 'No client discovery information is configured here' })

  for (const host of ['other.example', 'matrix.example.com', 'com', '']) {
    const response = await get('/.well-known/matrix/server', host)
    t.equal(response.statusCode, 404, `unknown host ${JSON.stringify(host)}`)
    t.same(response.json(), { errcode: 'M_NOT_FOUND', error: 'No delegation is configured for this host' })
    t.equal(response.headers['access-control-allow-origin'], '*')
  }
  t.equal((await get('/.well-known/matrix/server', 'example.com', { 'x-forwarded-host': 'example.org' })).body,
    '{"m.server":"matrix.example.com:443"}', 'X-Forwarded-Host is ignored from an untrusted peer')

  app.setDomains(new Map([['example.org', { server: '{"m.server":"moved.example.org:443"}' }]]))
  t.equal((await get('/.well-known/matrix/server', 'example.org')).body, '{"m.server":"moved.example.org:443"}', 'a new set is swapped in')
  t.equal((await get('/.well-known/matrix/server', 'example.com')).statusCode, 404, 'hosts left out of the new set are gone')
})

t.test('behind a trusted proxy, X-Forwarded-Host picks the documents', async t => {
  const file = tempFile('domains.json', PROVIDER)
  const app = await buildApp(configFrom({ MATRIX_DOMAINS_FILE: file, TRUST_PROXY: '127.0.0.1' }), { logStream: new LogLines() })
  t.teardown(() => app.close())
  const response = await app.inject({ url: '/.well-known/matrix/server', remoteAddress: '127.0.0.1', headers: { host: 'internal:8080', 'x-forwarded-host': 'example.org' } })
  t.equal(response.body, '{"m.server":"matrix.example.org:8448"}')
})

async function until (condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

t.test('the reloader follows renames, symlink swaps, SIGHUP-style requests and refuses broken files', async t => {
  // The layout of a Kubernetes ConfigMap volume: domains.json -> ..data/domains.json, ..data -> ..2026_1
  const dir = mkdtempSync(join(tmpdir(), 'wk-reload-'))
  const version = (name: string, content: unknown) => {
    mkdirSync(join(dir, name))
    writeFileSync(join(dir, name, 'domains.json'), JSON.stringify(content))
  }
  version('..2026_1', { 'example.com': { server: 'one.example.com:443' } })
  symlinkSync('..2026_1', join(dir, '..data'))
  symlinkSync('..data/domains.json', join(dir, 'domains.json'))
  const file = join(dir, 'domains.json')

  const applied: Array<ReadonlyMap<string, Documents>> = []
  const logs: Array<{ level: string, fields: Record<string, unknown>, message: string }> = []
  const log = {
    info: (fields: object, message: string) => logs.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    error: (fields: object, message: string) => logs.push({ level: 'error', fields: fields as Record<string, unknown>, message })
  }
  const reloader = startReloader({ initial: loadDomainsFile(file), apply: domains => applied.push(domains), log, debounceMs: 50 })
  t.teardown(() => reloader.close())

  // ConfigMap update: a new version directory, then ..data swapped by rename.
  version('..2026_2', { 'example.com': { server: 'two.example.com:443' }, 'example.org': { server: 'org.example.org:443' } })
  symlinkSync('..2026_2', join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  await until(() => applied.length === 1, 'the symlink swap')
  t.equal(applied[0]!.get('example.com')?.server, '{"m.server":"two.example.com:443"}')
  t.match(logs.at(-1), { level: 'info', message: 'domains reloaded', fields: { file, reason: 'change', hosts: 2, added: 1, removed: 0, changed: 1 } })

  // An editor's save: write aside, rename over the link.
  writeFileSync(join(dir, 'domains.json.swp'), JSON.stringify({ 'example.org': { server: 'three.example.org:443' } }))
  renameSync(join(dir, 'domains.json.swp'), file)
  await until(() => applied.length === 2, 'the rename')
  t.match(logs.at(-1)?.fields, { hosts: 1, added: 0, removed: 1, changed: 1 })

  // A broken file is refused, once, and nothing is applied.
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'https://broken.example.org' } }))
  await until(() => logs.some(entry => entry.level === 'error'), 'the refusal')
  t.match(logs.at(-1), { level: 'error', fields: { file, host: 'example.org', field: 'server', reason: 'change' }, message: /still serving the last good one.*has a scheme/ })
  writeFileSync(join(dir, 'unrelated.txt'), 'x')
  await sleep(200)
  t.equal(logs.filter(entry => entry.level === 'error').length, 1, 'the same broken content is not reported again')
  t.equal(applied.length, 2)

  // A touch with identical content reloads nothing; an explicit reload always reports.
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'four.example.org:443' } }))
  await until(() => applied.length === 3, 'the fix')
  const before = logs.length
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'four.example.org:443' } }))
  await sleep(200)
  t.equal(logs.length, before, 'identical content is not reloaded')
  reloader.reload('SIGHUP')
  t.match(logs.at(-1), { level: 'info', fields: { reason: 'SIGHUP', hosts: 1, added: 0, removed: 0, changed: 0 } })

  rmSync(file)
  await until(() => logs.at(-1)?.level === 'error', 'the missing file')
  t.match(logs.at(-1)?.message, /cannot be read: ENOENT/)
  t.equal(applied.length, 4, 'the last good set stays')
})
