import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { domainsFileSetting, loadConfig, type Environment } from '../src/config.js'
import { EXAMPLES } from '../src/settings.js'
import { MAX_DOCUMENT_BYTES } from '../src/documents.js'
import { EVERYTHING, problemsOf, SERVER_ONLY, tempDir } from './helper.js'

const load = (env: Environment) => loadConfig(env, { dotenvPath: false })

t.test('applies the documented defaults', async t => {
  const { config, warnings } = load(SERVER_ONLY)
  t.same(config, {
    host: '0.0.0.0',
    port: 8080,
    cacheMaxAge: 14400,
    logLevel: 'info',
    logRequests: false,
    trustProxy: false,
    trustForwardedHost: false,
    shutdownDrainMs: 500,
    domainsFileCheckMs: 5000,
    documents: { server: '{"m.server":"matrix.example.com:443"}' }
  })
  t.same(warnings, [])
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.documents), 'the config cannot change after start-up')
})

t.test('reads every setting', async t => {
  const { config } = load({
    ...EVERYTHING,
    HOST: '::',
    PORT: '9000',
    CACHE_MAX_AGE: '300',
    LOG_LEVEL: 'debug',
    LOG_REQUESTS: 'true',
    TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1/128',
    TRUST_FORWARDED_HOST: 'true',
    SHUTDOWN_DRAIN_MS: '0',
    UNRELATED: 'ignored'
  })
  t.equal(config.host, '::')
  t.equal(config.port, 9000)
  t.equal(config.cacheMaxAge, 300)
  t.equal(config.logLevel, 'debug')
  t.equal(config.logRequests, true)
  t.same(config.trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1/128'])
  t.equal(config.trustForwardedHost, true)
  t.equal(config.shutdownDrainMs, 0)
  t.same(config.documents, {
    server: '{"m.server":"matrix.example.com:443"}',
    client: '{"m.homeserver":{"base_url":"https://matrix.example.com"},"m.identity_server":{"base_url":"https://id.example.com"},' +
      '"org.matrix.msc4143.rtc_foci":[{"type":"livekit","livekit_service_url":"https://livekit-jwt.example.com"}],"io.element.e2ee":{"default":true}}',
    support: '{"contacts":[{"role":"m.role.admin","matrix_id":"@admin:example.com"}],"support_page":"https://example.com/support"}'
  })
})

t.test('TRUST_PROXY takes true, false, or what proxy-addr accepts; a hop count is refused with the reason', async t => {
  const trust = (value: string) => load({ ...SERVER_ONLY, TRUST_PROXY: value }).config.trustProxy
  t.equal(trust('true'), true)
  t.equal(trust('false'), false)
  t.equal(trust(''), false)
  t.same(trust('192.168.0.0/16'), ['192.168.0.0/16'])
  t.same(trust('loopback, linklocal,uniquelocal'), ['loopback', 'linklocal', 'uniquelocal'])
  t.match(problemsOf({ ...SERVER_ONLY, TRUST_PROXY: '2' }), [/^TRUST_PROXY="2" is a hop count, which Fastify 5 cannot check .* list the proxies' addresses or ranges instead \(example: /])
  for (const bad of ['yes', '10.0.0.0/33', '::/129', 'proxy.example.com', '10.0.0.1/8/1', '10.0.0.0/x']) {
    t.match(problemsOf({ ...SERVER_ONLY, TRUST_PROXY: bad }), [/^TRUST_PROXY=".*" is not true, false or a list of addresses, CIDR ranges, loopback, linklocal and uniquelocal \(invalid/], bad)
  }
})

t.test('a variable that is present but undefined counts as unset', async t => {
  t.equal(load({ ...SERVER_ONLY, PORT: undefined, MATRIX_SEVER: undefined }).config.port, 8080)
})

t.test('PORT=0 listens on a port the system picks', async t => {
  t.equal(load({ ...SERVER_ONLY, PORT: '0' }).config.port, 0)
})

t.test('HOST takes an address or a host name', async t => {
  t.equal(load({ ...SERVER_ONLY, HOST: 'localhost' }).config.host, 'localhost')
  t.equal(load({ ...SERVER_ONLY, HOST: '127.0.0.1' }).config.host, '127.0.0.1')
  for (const bad of ['', 'http://0.0.0.0', '[::]', '0.0.0.0:80']) {
    t.match(problemsOf({ ...SERVER_ONLY, HOST: bad }), [/^HOST=".*" is not an IP address or host name/], bad)
  }
})

t.test('one line per bad variable: its name, the bad value and a good example', async t => {
  const cases: Array<[Environment, RegExp]> = [
    [{ MATRIX_SERVER: 'https://matrix.example.com' },
      /^MATRIX_SERVER="https:\/\/matrix.example.com" has a scheme: remove "https:\/\/" \(example: MATRIX_SERVER=matrix.example.com:443\)$/],
    [{ MATRIX_SERVER: '' }, /^MATRIX_SERVER="" is empty \(example: /],
    [{ ...SERVER_ONLY, PORT: '-1' }, /^PORT="-1" is out of range: it must be >= 0 \(example: PORT=8080\)$/],
    [{ ...SERVER_ONLY, PORT: '65536' }, /^PORT="65536" is out of range: it must be <= 65535/],
    [{ ...SERVER_ONLY, PORT: 'http' }, /^PORT="http" is not a whole number \(example: PORT=8080\)$/],
    [{ ...SERVER_ONLY, PORT: 'Infinity' }, /^PORT="Infinity" is not a whole number/],
    [{ ...SERVER_ONLY, CACHE_MAX_AGE: 'Infinity' }, /^CACHE_MAX_AGE="Infinity" is not a whole number/],
    [{ ...SERVER_ONLY, CACHE_MAX_AGE: '1e309' }, /^CACHE_MAX_AGE="1e309" is not a whole number/],
    [{ ...SERVER_ONLY, CACHE_MAX_AGE: '3600.5' }, /^CACHE_MAX_AGE="3600.5" is not a whole number/],
    [{ ...SERVER_ONLY, SHUTDOWN_DRAIN_MS: 'Infinity' }, /^SHUTDOWN_DRAIN_MS="Infinity" is not a whole number/],
    [{ ...SERVER_ONLY, SHUTDOWN_DRAIN_MS: ' ' }, /^SHUTDOWN_DRAIN_MS=" " is not a whole number/],
    [{ ...SERVER_ONLY, LOG_REQUESTS: 'yes' }, /^LOG_REQUESTS="yes" is not valid: it must be boolean/],
    [{ ...SERVER_ONLY, CACHE_MAX_AGE: '60' }, /^CACHE_MAX_AGE="60" is out of range: it must be >= 300 \(example: CACHE_MAX_AGE=14400\)$/],
    [{ ...SERVER_ONLY, CACHE_MAX_AGE: '172801' }, /^CACHE_MAX_AGE="172801" is out of range: it must be <= 172800/],
    [{ ...SERVER_ONLY, LOG_LEVEL: 'verbose' }, /^LOG_LEVEL="verbose" is not one of fatal, error, warn, info, debug, trace, silent/],
    [{ ...SERVER_ONLY, LOG_REQUESTS: 'sometimes' }, /^LOG_REQUESTS="sometimes" is not valid: it must be boolean/],
    [{ ...SERVER_ONLY, SHUTDOWN_DRAIN_MS: '60001' }, /^SHUTDOWN_DRAIN_MS="60001" is out of range/],
    [{ MATRIX_CLIENT_BASE_URL: 'http://matrix.example.com' }, /^MATRIX_CLIENT_BASE_URL="http:\/\/matrix.example.com" uses http:\/\//],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_IDENTITY_SERVER_BASE_URL: 'vector.im' },
      /^MATRIX_IDENTITY_SERVER_BASE_URL="vector.im" is not an absolute URL/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: '{"a.b":1,}' },
      /^MATRIX_CLIENT_EXTRA="{\\"a.b\\":1,}" is not valid JSON: .*position 9.* \(example: MATRIX_CLIENT_EXTRA={"org.matrix.msc4143\.rtc_foci"/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: '[1]' }, /^MATRIX_CLIENT_EXTRA="\[1\]" is not a JSON object/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: '{"m.homeserver":{"base_url":"https://evil.example"}}' },
      /^MATRIX_CLIENT_EXTRA=.* redefines "m.homeserver"/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: '{"theme":"dark"}' }, /not namespaced/],
    [{ MATRIX_SUPPORT_CONTACTS: '[{"role":"m.role.admin"}]' }, /^MATRIX_SUPPORT_CONTACTS=.* contact 1 with neither "matrix_id" nor "email_address" \(example: /],
    [{ MATRIX_SUPPORT_CONTACTS: '{"role":"m.role.admin"' }, /^MATRIX_SUPPORT_CONTACTS=.* is not valid JSON/],
    [{ MATRIX_SUPPORT_PAGE: 'example.com/support' }, /^MATRIX_SUPPORT_PAGE="example.com\/support" is not an absolute URL/],
    [{ ...SERVER_ONLY, MATRIX_IDENTITY_SERVER_BASE_URL: 'https://vector.im' },
      /^MATRIX_IDENTITY_SERVER_BASE_URL="https:\/\/vector.im" needs MATRIX_CLIENT_BASE_URL/],
    [{ ...SERVER_ONLY, MATRIX_CLIENT_EXTRA: '{"a.b":1}' }, /^MATRIX_CLIENT_EXTRA=.* needs MATRIX_CLIENT_BASE_URL/],
    [{}, /^MATRIX_SERVER is not set, and neither is MATRIX_CLIENT_BASE_URL: there is nothing to serve \(example: MATRIX_SERVER=matrix.example.com:443\)$/]
  ]
  for (const [env, line] of cases) {
    const problems = problemsOf(env)
    t.equal(problems.length, 1, `exactly one line for ${JSON.stringify(env)}`)
    t.match(problems[0], line)
    t.notMatch(problems[0], /\n/, 'the line is one line')
  }
})

t.test('reports every bad variable at once, in one pass', async t => {
  const problems = problemsOf({ MATRIX_SERVER: 'a_b', PORT: '-1', CACHE_MAX_AGE: '1', MATRIX_SUPPORT_PAGE: 'x', TRUST_PROXY: 'x', SHUTDOWN_DRAIN_MS: 'Infinity' })
  t.equal(problems.length, 6)
  t.match(problems, [/^SHUTDOWN_DRAIN_MS=/, /^PORT=/, /^CACHE_MAX_AGE=/, /^TRUST_PROXY=/, /^MATRIX_SERVER=/, /^MATRIX_SUPPORT_PAGE=/])
})

t.test('a MATRIX_ variable the service does not know is named with the closest one it does', async t => {
  const { warnings } = load({ MATRIX_SEVER: 'matrix.example.com:443', MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', OTHER: 'x' })
  t.same(warnings, ['MATRIX_SEVER is not a setting of this service and is ignored: did you mean MATRIX_SERVER?'])
})

t.test('shortens a long bad value and keeps it on one line', async t => {
  const [line] = problemsOf({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: `{\n"x": "${'y'.repeat(300)}"}` })
  t.match(line, /^MATRIX_CLIENT_EXTRA="{\\n\\"x\\": \\"y+…" is not namespaced|^MATRIX_CLIENT_EXTRA="{\\n\\"x\\": \\"y+…" has the key "x"/)
  t.ok(line!.length < 400)
})

t.test('each document is refused above 12 KiB', async t => {
  const base = { MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com' }
  const filler = (size: number) => JSON.stringify({ 'org.example.filler': 'x'.repeat(size) })
  const overhead = '{"m.homeserver":{"base_url":"https://matrix.example.com"},"org.example.filler":""}'.length
  t.ok(load({ ...base, MATRIX_CLIENT_EXTRA: filler(MAX_DOCUMENT_BYTES - overhead) }).config.documents.client)
  t.match(problemsOf({ ...base, MATRIX_CLIENT_EXTRA: filler(MAX_DOCUMENT_BYTES - overhead + 1) }),
    [/^MATRIX_CLIENT_EXTRA=.* makes a document of 12289 bytes: keep it under 12288/])
  const contacts = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ role: 'm.role.admin', email_address: `admin${i}@example.com` })))
  t.match(problemsOf({ MATRIX_SUPPORT_CONTACTS: contacts }), [/^MATRIX_SUPPORT_CONTACTS=.* makes a document of \d+ bytes/])
})

t.test('MATRIX_SERVER is optional once another document is configured', async t => {
  t.same(load({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com' }).config.documents,
    { client: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' })
  t.same(load({ MATRIX_SUPPORT_PAGE: 'https://example.com/help' }).config.documents, { support: '{"support_page":"https://example.com/help"}' })
})

t.test('warns, without failing, about a missing port and upper case', async t => {
  const { warnings, config } = load({ MATRIX_SERVER: 'Matrix.example.com' })
  t.equal(config.documents.server, '{"m.server":"Matrix.example.com"}', 'the value is served as given')
  t.match(warnings, [/^MATRIX_SERVER: "Matrix.example.com" has no port/, /^MATRIX_SERVER: .* upper-case/])
})

t.test('every example in the error lines is itself accepted', async t => {
  const { MATRIX_DOMAINS_FILE: domainsFile, MATRIX_RTC_LIVEKIT_SERVICE_URL: livekit, ...singleDomain } = EXAMPLES
  t.doesNotThrow(() => load(singleDomain))
  // Two ways to publish the foci, which cannot be combined: each with the rest.
  const withLivekit = { ...singleDomain, MATRIX_CLIENT_EXTRA: undefined, MATRIX_RTC_LIVEKIT_SERVICE_URL: livekit }
  t.doesNotThrow(() => load(withLivekit))
  t.match(domainsFile, /^\/.*\.json$/, 'the domains file example is an absolute path (its content is tested in domains.test.ts)')
})

t.test('reads a .env file under the environment', async t => {
  const dir = tempDir(t, 'config')
  const file = join(dir, '.env')
  writeFileSync(file, '# comment\nMATRIX_SERVER=from-file.example.com:443\nPORT=9001\nCACHE_MAX_AGE=600\n')
  const { config } = loadConfig({ PORT: '9002' }, { dotenvPath: file })
  t.equal(config.documents.server, '{"m.server":"from-file.example.com:443"}', 'the file fills in what the environment lacks')
  t.equal(config.port, 9002, 'the environment wins')
  t.equal(config.cacheMaxAge, 600)

  writeFileSync(file, '\uFEFFMATRIX_SERVER=bom.example.com:443\n')
  t.equal(loadConfig({}, { dotenvPath: file }).config.documents.server, '{"m.server":"bom.example.com:443"}', 'a byte-order mark is not part of the first name')

  writeFileSync(file, 'PORT=70000\n')
  t.match(problemsOf(SERVER_ONLY, file), [/^PORT="70000" is out of range/], 'a bad value in the file is named too')

  t.equal(loadConfig(SERVER_ONLY, { dotenvPath: join(dir, 'missing.env') }).config.port, 8080, 'a missing file is fine')

  // Even root cannot read a directory as a file.
  const unreadable = join(dir, 'dir.env')
  mkdirSync(unreadable)
  t.match(problemsOf(SERVER_ONLY, unreadable), [/dir\.env cannot be read: not a regular file/])

  // A FIFO would block a plain read for good, SIGTERM included.
  const fifo = join(dir, 'fifo.env')
  execFileSync('mkfifo', [fifo])
  t.match(problemsOf(SERVER_ONLY, fifo), [/^.*fifo\.env cannot be read: not a regular file \(a FIFO, device or directory cannot be read safely\)$/])
})

t.test('what is served is exactly what was validated: numbers, nesting, URLs and addresses as typed', async t => {
  const client = { MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com' }
  const cases: Array<[Environment, RegExp]> = [
    [{ ...client, MATRIX_CLIENT_EXTRA: '{"org.example.limit":1e999}' }, /^MATRIX_CLIENT_EXTRA=.* has the number 1e999, which would be served as null: write it as a string/],
    [{ ...client, MATRIX_CLIENT_EXTRA: '{"org.example.id":12345678901234567890123}' }, /has the number 12345678901234567890123, which would be served as 1\.2345678901234568e\+22/],
    [{ ...client, MATRIX_CLIENT_EXTRA: `{"org.example.deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}` }, /^MATRIX_CLIENT_EXTRA=.* nests 10001 levels deep: at most 32/],
    [{ MATRIX_SUPPORT_CONTACTS: `${'['.repeat(10_000)}${']'.repeat(10_000)}` }, /^MATRIX_SUPPORT_CONTACTS=.* nests 10000 levels deep/],
    [{ ...client, MATRIX_CLIENT_EXTRA: '{"org.example.x":"a\\u0000b"}' }, /has a control character in "a\\u0000b"/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com\\@evil.example' }, /^MATRIX_CLIENT_BASE_URL=.* contains "\\", which URL parsers read differently/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix%2eexample.com' }, /^MATRIX_CLIENT_BASE_URL=.* has a host that contains "%"/],
    [{ MATRIX_CLIENT_BASE_URL: 'http://0x7f.1:8008' }, /^MATRIX_CLIENT_BASE_URL=.* has the host "0x7f\.1", which URL parsers read as an IPv4 address/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.exämple.com' }, /^MATRIX_CLIENT_BASE_URL=.* has characters outside ASCII: write an internationalised host name in its punycode form/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com/\u0000' }, /^MATRIX_CLIENT_BASE_URL=.* contains a control character/],
    [{ MATRIX_CLIENT_BASE_URL: 'https://user@matrix.example.com' }, /has a user name or password/],
    [{ MATRIX_SERVER: '[fe80::1%eth0]:443' }, /^MATRIX_SERVER=.* an IPv6 address with a zone/]
  ]
  for (const [env, line] of cases) {
    const problems = problemsOf(env)
    t.equal(problems.length, 1, JSON.stringify(env).slice(0, 80))
    t.match(problems[0], line)
    t.ok(problems[0]!.length < 400, 'a readable line')
  }
  t.equal(load({ ...client, MATRIX_CLIENT_EXTRA: '{"org.example.n":[1.5,-2,9007199254740992,1e+21]}' }).config.documents.client,
    '{"m.homeserver":{"base_url":"https://matrix.example.com"},"org.example.n":[1.5,-2,9007199254740992,1e+21]}',
    'numbers written as they will be served are accepted')
})

t.test('MATRIX_POLICY_SERVER_ED25519_KEY: the unpadded base64 of 32 bytes, alone or beside the other documents', async t => {
  const key = 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs'
  t.same(load({ MATRIX_POLICY_SERVER_ED25519_KEY: key }).config.documents, { policy_server: `{"public_keys":{"ed25519":"${key}"}}` })
  const cases: Array<[string, RegExp]> = [
    [`${key}=`, /has base64 padding \("="\): the Matrix spec writes keys as unpadded base64/],
    [key.replace('/', '_'), /is not unpadded base64/],
    [key.slice(0, 40), /decodes to 30 bytes: an ed25519 public key has 32/],
    [`${key}AAAA`, /decodes to 35 bytes/],
    [key.slice(0, -1) + 't', /is not the canonical base64 of its 32 bytes/]
  ]
  for (const [value, problem] of cases) {
    const lines = problemsOf({ MATRIX_POLICY_SERVER_ED25519_KEY: value })
    t.equal(lines.length, 1, value)
    t.match(lines[0], new RegExp(`^MATRIX_POLICY_SERVER_ED25519_KEY=".*" ${problem.source}.* \\(example: MATRIX_POLICY_SERVER_ED25519_KEY=${key.replace(/[+/]/g, '\\$&')}\\)$`))
  }
  t.match(problemsOf({ MATRIX_DOMAINS_FILE: '/x.json', MATRIX_POLICY_SERVER_ED25519_KEY: key }), [/cannot be combined with MATRIX_POLICY_SERVER_ED25519_KEY/])
})

t.test('METRICS_PORT: off unless set, and never the public port', async t => {
  t.equal(load(SERVER_ONLY).config.metricsPort, undefined)
  t.equal(load({ ...SERVER_ONLY, METRICS_PORT: '9100' }).config.metricsPort, 9100)
  t.match(problemsOf({ ...SERVER_ONLY, METRICS_PORT: '8080' }), [/^METRICS_PORT="8080" is the port the documents are served on: metrics need a port of their own/])
})

t.test('MATRIX_DOMAINS_FILE is known before loading, so that a YAML parser can be loaded for it', async t => {
  const dir = tempDir(t, 'config-domains')
  const dotenv = join(dir, '.env')
  writeFileSync(dotenv, 'MATRIX_DOMAINS_FILE=/etc/domains.yaml\n')
  t.equal(domainsFileSetting({}, dotenv), '/etc/domains.yaml', 'from .env')
  t.equal(domainsFileSetting({ MATRIX_DOMAINS_FILE: '/srv/domains.json' }, dotenv), '/srv/domains.json', 'the environment wins')
  t.equal(domainsFileSetting({}, false), undefined)
  t.equal(domainsFileSetting({}, dir), undefined, 'an unreadable .env is left for loadConfig to report')
  t.throws(() => loadConfig({}, { dotenvPath: dir }), { name: 'ConfigError' })
})

t.test('MATRIX_RTC_LIVEKIT_SERVICE_URL is served as Element Call\'s foci, one per URL', async t => {
  const { config } = loadConfig({
    MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
    MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://livekit-jwt.example.com, https://jwt2.example.org/livekit/'
  }, { dotenvPath: false })
  t.same(JSON.parse(config.documents.client!), {
    'm.homeserver': { base_url: 'https://matrix.example.com' },
    'org.matrix.msc4143.rtc_foci': [
      { type: 'livekit', livekit_service_url: 'https://livekit-jwt.example.com' },
      { type: 'livekit', livekit_service_url: 'https://jwt2.example.org/livekit/' }
    ]
  })
  const base = { MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com' }
  const refused: Array<[Environment, RegExp]> = [
    [{ ...base, MATRIX_RTC_LIVEKIT_SERVICE_URL: 'http://livekit-jwt.example.com' }, /^MATRIX_RTC_LIVEKIT_SERVICE_URL="http:\/\/livekit-jwt\.example\.com" uses http:\/\/: use https:\/\/.* \(example: MATRIX_RTC_LIVEKIT_SERVICE_URL=https:\/\/livekit-jwt\.example\.com\)$/],
    [{ ...base, MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://a.example.com,' }, /^MATRIX_RTC_LIVEKIT_SERVICE_URL="https:\/\/a\.example\.com," has URL 2, which is empty \(example: /],
    [{ ...base, MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://a.example.com,https://a.example.com' }, /has URL 2, which is named twice/],
    [{ ...base, MATRIX_RTC_LIVEKIT_SERVICE_URL: 'livekit-jwt.example.com' }, /is not an absolute URL/],
    [{ MATRIX_SERVER: 'matrix.example.com:443', MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://a.example.com' }, /^MATRIX_RTC_LIVEKIT_SERVICE_URL="https:\/\/a\.example\.com" needs MATRIX_CLIENT_BASE_URL/],
    [{ ...base, MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://a.example.com', MATRIX_CLIENT_EXTRA: '{"org.matrix.msc4143.rtc_foci":[{"type":"livekit","livekit_service_url":"https://b.example.com"}]}' },
      /^MATRIX_RTC_LIVEKIT_SERVICE_URL="https:\/\/a\.example\.com" cannot be combined with "org\.matrix\.msc4143\.rtc_foci" in MATRIX_CLIENT_EXTRA: list every focus in one place/]
  ]
  for (const [env, line] of refused) {
    const problems = problemsOf(env)
    t.equal(problems.length, 1, JSON.stringify(env))
    t.match(problems[0], line)
  }
})

t.test('each bad focus or tile server shape in MATRIX_CLIENT_EXTRA is refused with one line naming the key', async t => {
  const extra = (value: unknown) => ({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: JSON.stringify(value) })
  const refused: Array<[unknown, RegExp]> = [
    [{ 'org.matrix.msc4143.rtc_foci': { type: 'livekit', livekit_service_url: 'https://a.example.com' } }, /has "org\.matrix\.msc4143\.rtc_foci", which is not an array of foci/],
    [{ 'org.matrix.msc4143.rtc_foci': [{ type: 'livekit', livekit_service_url: 'http://a.example.com' }] }, /has "org\.matrix\.msc4143\.rtc_foci", which has livekit focus 1 whose livekit_service_url uses http:\/\//],
    [{ 'org.matrix.msc4143.rtc_foci': [{ livekit_service_url: 'https://a.example.com' }] }, /has "org\.matrix\.msc4143\.rtc_foci", which has focus 1 without a "type"/],
    [{ 'org.matrix.msc4143.rtc_foci': [{ type: 'livekit' }] }, /has "org\.matrix\.msc4143\.rtc_foci", which has livekit focus 1 without "livekit_service_url"/],
    [{ 'm.tile_server': { map_style_url: 'http://tiles.example.com/style.json' } }, /has "m\.tile_server", which has a map_style_url that uses http:\/\//]
  ]
  for (const [value, line] of refused) {
    const problems = problemsOf(extra(value))
    t.equal(problems.length, 1)
    t.match(problems[0], new RegExp(`^MATRIX_CLIENT_EXTRA=.* ${line.source}`), JSON.stringify(value))
  }
})

t.test('each obsolete client key is one warning, naming what replaced it; the document is served as given', async t => {
  const loaded = loadConfig({
    MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
    MATRIX_CLIENT_EXTRA: '{"org.matrix.msc2965.authentication":{"issuer":"https://auth.example.com/"},"m.authentication":{},"org.matrix.msc3575.proxy":{"url":"https://sync.example.com"},"im.vector.riot.e2ee":{"default":true}}'
  }, { dotenvPath: false })
  t.match(loaded.warnings, [
    /^MATRIX_CLIENT_EXTRA: "org\.matrix\.msc2965\.authentication" is obsolete: clients find the sign-in server through \/_matrix\/client\/v1\/auth_metadata/,
    /^MATRIX_CLIENT_EXTRA: "m\.authentication" is obsolete: it was never in the spec/,
    /^MATRIX_CLIENT_EXTRA: "org\.matrix\.msc3575\.proxy" is obsolete: homeservers serve simplified sliding sync themselves/,
    /^MATRIX_CLIENT_EXTRA: "im\.vector\.riot\.e2ee" is obsolete: Element reads io\.element\.e2ee instead; remove it$/
  ])
  t.equal(loaded.warnings.length, 4)
  t.match(loaded.config.documents.client, /"org\.matrix\.msc2965\.authentication"/)
})

t.test('a domains file: a bad focus is refused naming the host and the key; obsolete keys are warned about per host', async t => {
  const dir = tempDir(t, 'config-foci')
  const file = join(dir, 'domains.json')
  const client = (extra: Record<string, unknown>) => ({ client: { 'm.homeserver': { base_url: 'https://matrix.example.com' }, ...extra } })
  writeFileSync(file, JSON.stringify({ 'example.com': client({ 'org.matrix.msc4143.rtc_foci': [{ type: 'livekit', livekit_service_url: 'http://jwt.example.com' }] }) }))
  t.match(problemsOf({ MATRIX_DOMAINS_FILE: file }),
    [/^MATRIX_DOMAINS_FILE=".*domains\.json" host "example\.com": client\.org\.matrix\.msc4143\.rtc_foci has livekit focus 1 whose livekit_service_url uses http:\/\//])
  writeFileSync(file, JSON.stringify({
    'example.com': client({ 'org.matrix.msc2965.authentication': {} }),
    'example.org': client({ 'im.vector.riot.e2ee': {} })
  }))
  t.match(loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false }).warnings, [
    /^MATRIX_DOMAINS_FILE: host "example\.com": client "org\.matrix\.msc2965\.authentication" is obsolete/,
    /^MATRIX_DOMAINS_FILE: host "example\.org": client "im\.vector\.riot\.e2ee" is obsolete/
  ])
  writeFileSync(file, JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`h${i}.example`, client({ 'm.authentication': {} })]))))
  const many = loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false }).warnings
  t.equal(many.length, 21, 'twenty, then one line for the rest')
  t.equal(many.at(-1), 'MATRIX_DOMAINS_FILE: and 10 more such warnings about other hosts of the file')
})

t.test('MATRIX_SERVER refuses a host no remote server can reach, and warns about a private one', async t => {
  for (const serverName of ['localhost:443', '127.0.0.1:8448', '[::1]:443', '0.0.0.0:443', '[::]:443', '2130706433:443', '0x7f.0.0.1:443', '127.1:8448']) {
    const problems = problemsOf({ MATRIX_SERVER: serverName })
    t.equal(problems.length, 1, serverName)
    t.match(problems[0], new RegExp(`^MATRIX_SERVER=${JSON.stringify(serverName).replace(/[[\]().]/g, '\\$&')} has the host .*(loopback|unspecified|URL parsers read as an IPv4 address).* \\(example: MATRIX_SERVER=matrix\\.example\\.com:443\\)$`), serverName)
  }
  const { config, warnings } = loadConfig({ MATRIX_SERVER: '10.0.0.5:8448' }, { dotenvPath: false })
  t.equal(config.documents.server, '{"m.server":"10.0.0.5:8448"}')
  t.match(warnings, ['MATRIX_SERVER: 10.0.0.5 is a private address: only servers on the same private network can reach it, which suits a private federation only'])
})

t.test('a domains file\'s server: the same refusal, naming the host; the same advice', async t => {
  const file = join(tempDir(t, 'config-server'), 'domains.json')
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'matrix.example.com:443' }, 'example.org': { server: '[::1]:443' } }))
  t.match(problemsOf({ MATRIX_DOMAINS_FILE: file }), [/^MATRIX_DOMAINS_FILE=".*" host "example\.org": server has the host \[::1\], a loopback address/])
  writeFileSync(file, JSON.stringify({ 'example.com': { server: '192.168.1.2:8448' } }))
  t.match(loadConfig({ MATRIX_DOMAINS_FILE: file }, { dotenvPath: false }).warnings,
    ['MATRIX_DOMAINS_FILE: host "example.com": server 192.168.1.2 is a private address: only servers on the same private network can reach it, which suits a private federation only'])
})

t.test('settings that do nothing in the mode the service runs in are warned about', async t => {
  const warningsOf = (env: Environment) => load(env).warnings
  t.match(warningsOf({ ...SERVER_ONLY, TRUST_FORWARDED_HOST: 'true', TRUST_PROXY: '127.0.0.1' }),
    ['TRUST_FORWARDED_HOST=true does nothing without MATRIX_DOMAINS_FILE: only multi-domain mode chooses documents by host'])
  t.match(warningsOf({ ...SERVER_ONLY, DOMAINS_FILE_CHECK_MS: '1000' }),
    ['DOMAINS_FILE_CHECK_MS=1000 does nothing without MATRIX_DOMAINS_FILE: it sets how often that file is looked at'])
  const file = join(tempDir(t, 'config-idle'), 'domains.json')
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'matrix.example.com:443' } }))
  t.match(warningsOf({ MATRIX_DOMAINS_FILE: file, TRUST_FORWARDED_HOST: 'true' }),
    ['TRUST_FORWARDED_HOST=true does nothing while TRUST_PROXY is false: X-Forwarded-Host is believed only from a trusted proxy'])
  t.same(warningsOf({ MATRIX_DOMAINS_FILE: file, TRUST_FORWARDED_HOST: 'true', TRUST_PROXY: '127.0.0.1', DOMAINS_FILE_CHECK_MS: '1000' }), [])
  t.same(warningsOf({ ...SERVER_ONLY, TRUST_FORWARDED_HOST: 'false', DOMAINS_FILE_CHECK_MS: '5000' }), [], 'defaults, as config.example.env gives them, say nothing')
})
