// Reading and validating a domains file into a snapshot.
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { parse } from 'yaml'
import { loadDomainsFile, parseDomains, yamlParserFor } from '../../src/domains/file.js'
import { PROVIDER, tempFile } from '../fixtures.js'
import { problemsOf } from '../helper.js'

t.test('parses a provider file into documents served exactly as written', async t => {
  const domains = parseDomains(JSON.stringify(PROVIDER), undefined)
  t.same([...domains.keys()], ['example.com', 'example.org', 'chat.example.net', '[2001:db8::1]'], 'hostnames in lower case')
  t.same(domains.get('example.com'), {
    server: '{"m.server":"matrix.example.com:443"}',
    client: '{"m.homeserver":{"base_url":"https://matrix.example.com"},"org.matrix.msc4143.rtc_foci":[{"type":"livekit","livekit_service_url":"https://livekit-jwt.example.com"}]}',
    support: '{"contacts":[{"role":"m.role.admin","email_address":"ops@example.com"}]}'
  })
  t.same(domains.get('example.org'), { server: '{"m.server":"matrix.example.org:8448"}', policy_server: '{"public_keys":{"ed25519":"MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs"}}' })
  t.ok(Object.isFrozen(domains.get('example.org')))
})

t.test('reads YAML when the name ends in .yaml or .yml, with the YAML parser loaded for it alone', async t => {
  const yaml = 'example.com:\n  server: matrix.example.com:443\n  support:\n    support_page: https://example.com/help\n'
  t.equal(await yamlParserFor('domains.json'), undefined, 'none for a JSON file')
  t.equal(await yamlParserFor(undefined), undefined, 'none without a file')
  t.throws(() => loadDomainsFile(tempFile(t, 'domains.yaml', yaml), undefined), { name: 'DomainsFileError', message: 'is a YAML file, and no YAML parser was loaded for it' })
  for (const name of ['domains.yaml', 'domains.YML']) {
    const path = tempFile(t, name, yaml)
    const snapshot = loadDomainsFile(path, await yamlParserFor(path))
    t.same(snapshot.hosts.get('example.com'), { server: '{"m.server":"matrix.example.com:443"}', support: '{"support_page":"https://example.com/help"}' })
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
    [entry({ policy_server: 'short' }), /^host "example.com": policy_server decodes to 3 bytes: an ed25519 public key has 32/, 'example.com', 'policy_server'],
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
    [entry({ client: { 'm.homeserver': { base_url: 'https://a.example' }, 'org.example.big': 'x'.repeat(13000) } }), /client makes a document of \d+ bytes/],
    ['{"a.example": {"server": "a.b:1"}, "b.example": {"server": "a.b:2"}, "a.example": {"server": "a.b:3"}}', /^host "a\.example" is listed twice/, 'a.example', 'hostname'],
    ['{"a.example": {"client": {"m.homeserver": {"base_url": "https://a.example"}, "org.example.n": 1e999}}}', /^has the number 1e999, which would be served as null/],
    [`{"a.example": {"client": {"m.homeserver": {"base_url": "https://a.example"}, "org.example.deep": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`, /^nests 10003 levels deep: at most 32$/]
  ]
  for (const [text, message, host, field] of cases) {
    t.throws(() => parseDomains(text, undefined), { name: 'DomainsFileError', message, ...(host === undefined ? {} : { host }), ...(field === undefined ? {} : { field }) }, text.slice(0, 60))
  }
  t.throws(() => parseDomains('example.com: [\n', parse), { message: /^is not valid YAML: / })
  t.throws(() => loadDomainsFile('/nonexistent/domains.json', undefined), { message: /^cannot be read: ENOENT/, digest: undefined })
  t.throws(() => loadDomainsFile(tempFile(t, 'domains.json', '[]'), undefined), { message: /^is not an object/, digest: /^[0-9a-f]{64}$/ }, 'a refused file still has its digest')
})

t.test('MATRIX_DOMAINS_FILE loads at start-up, alone, or fails with one line', async t => {
  const file = tempFile(t, 'domains.json', PROVIDER)
  const { config } = loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false })
  t.equal(config.domainsFile?.file, file)
  t.equal(config.domainsFile?.hosts.size, 4)
  t.same(config.documents, {})
  const problems = problemsOf
  t.match(problems({ MATRIX_DOMAINS_FILE: file, MATRIX_SERVER: 'a.b:443', MATRIX_SUPPORT_PAGE: 'https://x.example' }),
    [/^MATRIX_DOMAINS_FILE=".*" cannot be combined with MATRIX_SERVER, MATRIX_SUPPORT_PAGE: describe every host in the file/])
  const bad = tempFile(t, 'domains.json', { 'example.com': { server: 'matrix.example.com:0' } })
  t.match(problems({ MATRIX_DOMAINS_FILE: bad }),
    [/^MATRIX_DOMAINS_FILE=".*domains.json" host "example.com": server has port 0, outside 1–65535 \(example: MATRIX_DOMAINS_FILE=/])
  t.match(problems({ MATRIX_DOMAINS_FILE: '/nonexistent.json' }), [/cannot be read: ENOENT/])
})
