// The whole `check` chain on loopback: a DNS server answering SRV and A records,
// TLS servers with certificates from a CA made here, and a key server that signs
// its answer with an ed25519 key made here.
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import anotherJson from 'another-json'
import dns2 from 'dns2'
import t from 'tap'
import { canonicalJson, checkDelegation, formatReport, type CheckOptions } from '../src/check.js'
import { runCli, unusedPort } from './process/helper.js'

const dir = mkdtempSync(join(tmpdir(), 'wk-check-'))
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=matrix-well-known test CA')
function certificate (name: string, hosts: string[]) {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${hosts[0]}`)
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${hosts.map(host => `DNS:${host}`).join(',')}\n`)
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`)
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.crt`)) }
}
const CA = readFileSync(join(dir, 'ca.crt'), 'utf8')
const good = certificate('good', ['example.com', 'matrix.example.com', 'srv.example.com'])
const wrong = certificate('wrong', ['other.example.com'])

type Answer = { status: number, headers?: Record<string, string>, body: string }
const routes = new Map<string, Answer>()
const json = (value: unknown, headers: Record<string, string> = {}): Answer =>
  ({ status: 200, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', ...headers }, body: JSON.stringify(value) })

async function https (options: { key: Buffer, cert: Buffer }, prefix: string): Promise<Server> {
  const server = createServer(options, (request, response) => {
    const answer = routes.get(`${prefix} ${request.url}`) ?? { status: 404, body: '{"errcode":"M_NOT_FOUND"}' }
    if (answer.status === 0) return request.socket.destroy()
    response.writeHead(answer.status, answer.headers).end(answer.body)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}
const port = (server: Server | import('node:dgram').Socket) => (server.address() as AddressInfo).port

// The homeserver's signing key, and its answer at /_matrix/key/v2/server.
const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const publicKeyBase64 = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64').replace(/=+$/, '')
function keyAnswer (serverName = 'example.com', validUntil = Date.now() + 86_400_000, tamper = false): Answer {
  const keys = { server_name: serverName, valid_until_ts: validUntil, verify_keys: { 'ed25519:a1': { key: publicKeyBase64 } }, old_verify_keys: {} }
  // Signed over another-json's canonical JSON, not ours: the check must agree with it.
  const signature = sign(null, Buffer.from(anotherJson.stringify(tamper ? { ...keys, valid_until_ts: 1 } : keys)), privateKey).toString('base64').replace(/=+$/, '')
  return json({ ...keys, signatures: { [serverName]: { 'ed25519:a1': signature } } })
}

const apex = await https(good, 'apex')
const homeserver = await https(good, 'hs')
const impostor = await https(wrong, 'hs')
const closedPort = await unusedPort()

const records: Record<string, Array<Record<string, unknown>>> = {}
const dns = dns2.createUDPServer((request, send) => {
  const response = dns2.Packet.createResponseFromRequest(request)
  const [question] = request.questions
  for (const record of records[`${question!.type} ${question!.name}`] ?? []) {
    response.answers.push({ name: question!.name, type: question!.type, class: dns2.Packet.CLASS.IN, ttl: 60, ...record })
  }
  send(response)
})
dns.bind(0, '127.0.0.1')
await once(dns, 'listening')
const { A, SRV } = dns2.Packet.TYPE
for (const host of ['example.com', 'matrix.example.com', 'wrong.example.com']) records[`${A} ${host}`] = [{ address: '127.0.0.1' }]
records[`${SRV} _matrix-fed._tcp.srv.example.com`] = [{ priority: 10, weight: 5, port: port(homeserver), target: 'matrix.example.com' }]
records[`${SRV} _matrix-fed._tcp.dangling.example.com`] = [{ priority: 10, weight: 5, port: 8448, target: 'noaddress.example.com' }]
records[`${SRV} _matrix._tcp.legacy.example.com`] = [{ priority: 10, weight: 5, port: port(homeserver), target: 'matrix.example.com' }]

t.teardown(() => {
  for (const server of [apex, homeserver, impostor]) server.close()
  dns.close()
})

const options: CheckOptions = {
  name: 'example.com',
  dnsServer: `127.0.0.1:${port(dns)}`,
  ca: CA,
  connectTo: new Map([
    ['example.com:443', `127.0.0.1:${port(apex)}`],
    ['matrix.example.com:443', `127.0.0.1:${port(homeserver)}`],
    ['example.com:8448', `127.0.0.1:${closedPort}`],
    ['127.0.0.1:8448', `127.0.0.1:${closedPort}`]
  ]),
  timeoutMs: 3000
}

function setUp (server: Answer, client: Answer = json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), keys = keyAnswer()) {
  routes.clear()
  routes.set('apex /.well-known/matrix/server', server)
  routes.set('apex /.well-known/matrix/client', client)
  routes.set('hs /_matrix/key/v2/server', keys)
  routes.set('hs /_matrix/client/versions', json({ versions: ['v1.11'] }))
}

const check = async (extra: Partial<CheckOptions> = {}) => {
  const report = await checkDelegation({ ...options, ...extra })
  return { report, text: formatReport(report) }
}

t.test('a working delegation passes every step and federates', async t => {
  setUp(json({ 'm.server': `matrix.example.com:${port(homeserver)}` }, { 'cache-control': 'public, max-age=14400' }))
  const { report, text } = await check()
  t.comment(`passing setup:\n${text}`)
  t.equal(report.federates, true)
  t.same(report.steps.map(step => [step.step, step.ok]), [
    ['server well-known', true], ['resolve', true], ['TLS', true], ['server keys', true], ['client well-known', true]
  ])
  t.match(text, /✓ server well-known: 200, application\/json, CORS, Synapse caches it for 4 h; m\.server = matrix\.example\.com:\d+/)
  t.match(text, /✓ resolve: matrix\.example\.com:\d+ has a port: no SRV lookup/)
  t.match(text, /✓ TLS: certificate for matrix\.example\.com, valid until \d{4}-/)
  t.match(text, /✓ server keys: example\.com signs with ed25519:a1/)
  t.match(text, /✓ client well-known: base_url https:\/\/matrix\.example\.com answers \/_matrix\/client\/versions, with CORS/)
  t.match(text, /example\.com federates/)
})

t.test('SRV records are followed, and the certificate must name the delegated host', async t => {
  setUp(json({ 'm.server': 'srv.example.com' }))
  const { report, text } = await check()
  t.equal(report.federates, true)
  t.match(text, /✓ resolve: SRV _matrix-fed\._tcp\.srv\.example\.com → matrix\.example\.com:\d+ \(127\.0\.0\.1\)/)
  t.match(text, /✓ TLS: certificate for srv\.example\.com/)

  setUp(json({ 'm.server': 'legacy.example.com' }))
  const legacy = await check()
  t.match(legacy.text, /✗ resolve: SRV _matrix\._tcp\.legacy\.example\.com → .*\n {4}fix: _matrix\._tcp is deprecated/)

  setUp(json({ 'm.server': 'dangling.example.com' }))
  const dangling = await check()
  t.match(dangling.text, /✗ resolve: SRV _matrix-fed\._tcp\.dangling\.example\.com points to noaddress\.example\.com, which has no A or AAAA record/)
  t.equal(dangling.report.federates, false)
})

t.test('no well-known: the fallback to SRV and port 8448 is shown, and fails when nothing answers', async t => {
  setUp({ status: 404, body: 'Not Found' }, { status: 404, body: '' })
  const { report, text } = await check()
  t.comment(`failing setup:\n${text}`)
  t.equal(report.federates, false)
  t.match(text, /✗ server well-known: https:\/\/example\.com\/\.well-known\/matrix\/server answered 404\n {4}fix: publish \{"m\.server"/)
  t.match(text, /✓ resolve: no SRV record for example\.com: connect to example\.com port 8448/)
  t.match(text, /✗ TLS: cannot connect to 127\.0\.0\.1 port \d+: .*ECONNREFUSED/)
  t.match(text, /✓ client well-known: not published/)
  t.match(text, /example\.com does not federate/)
})

t.test('a body that is not JSON, or no m.server, is reported with a fix', async t => {
  setUp({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.server": "matrix.example.com:443",}' })
  t.match((await check()).text, /✗ server well-known: 200, application\/json, no CORS, Synapse caches it for 24 h; the body is not JSON: .*\n {4}fix: serve valid JSON/)
  setUp({ status: 200, body: '{"server": "matrix.example.com"}' })
  t.match((await check()).text, /✗ server well-known: 200, no content type, no CORS, .*no "m\.server" string/)
  setUp(json(['matrix.example.com']))
  t.match((await check()).text, /✗ server well-known: .*no "m\.server" string/)
  setUp({ status: 200, body: `{"m.server": "${'x'.repeat(60 * 1024)}"}` })
  t.match((await check()).text, /✗ server well-known: GET https:\/\/example\.com\/\.well-known\/matrix\/server failed: answer larger than 50 KiB/)
})

t.test('a scheme in m.server is diagnosed in plain words', async t => {
  setUp(json({ 'm.server': 'https://matrix.example.com' }))
  const { report, text } = await check()
  t.equal(report.federates, false)
  t.match(text, /✗ server well-known: .*m\.server "https:\/\/matrix\.example\.com" has a scheme: remove "https:\/\/"\n {4}fix: m\.server has a scheme: remove "https:\/\/"/)
})

t.test('a certificate that does not name the delegated host fails TLS', async t => {
  setUp(json({ 'm.server': `wrong.example.com:${port(impostor)}` }))
  const { report, text } = await check()
  t.equal(report.federates, false)
  t.match(text, /✗ TLS: the certificate does not name wrong\.example\.com: .*\n {4}fix: use a certificate whose names include wrong\.example\.com/)
})

t.test('an untrusted certificate fails TLS', async t => {
  setUp(json({ 'm.server': `matrix.example.com:${port(homeserver)}` }))
  const { report, text } = await check({ name: `matrix.example.com:${port(homeserver)}`, ca: undefined })
  t.equal(report.federates, false)
  t.match(text, /✗ TLS: the certificate is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE\n {4}fix: use a certificate from a public CA/)
  t.match(text, /✗ client well-known: GET https:\/\/matrix\.example\.com\/\.well-known\/matrix\/client failed: unable to verify/)
})

t.test('expired keys, bad signatures and another server name fail the key step', async t => {
  const delegation = json({ 'm.server': `matrix.example.com:${port(homeserver)}` })
  setUp(delegation, undefined, keyAnswer('example.com', Date.now() - 1000))
  t.match((await check()).text, /✗ server keys: the keys expired at .*\n {4}fix: the homeserver serves stale keys/)
  setUp(delegation, undefined, keyAnswer('example.com', undefined, true))
  t.match((await check()).text, /✗ server keys: no signature by ed25519:a1 verifies/)
  setUp(delegation, undefined, keyAnswer('other.example'))
  t.match((await check()).text, /✗ server keys: the server says it is "other\.example", not "example\.com"\n {4}fix: set the homeserver's server_name to example\.com/)
  setUp(delegation, undefined, json({ server_name: 'example.com', verify_keys: {}, valid_until_ts: Date.now() + 1000 }))
  t.match((await check()).text, /✗ server keys: no verify_keys/)
  setUp(delegation, undefined, { status: 404, body: '<html>' })
  t.match((await check()).text, /✗ server keys: \/_matrix\/key\/v2\/server answered 404 without JSON/)
  setUp(delegation, undefined, { status: 502, body: '{}' })
  t.match((await check()).text, /✗ server keys: \/_matrix\/key\/v2\/server answered 502/)
  setUp(delegation, undefined, json({ server_name: 'example.com', verify_keys: 'none', valid_until_ts: Date.now() + 1000 }))
  t.match((await check()).text, /✗ server keys: no verify_keys/)
  setUp(delegation, undefined, json({ server_name: 'example.com', verify_keys: { 'ed25519:a1': { key: publicKeyBase64 } }, valid_until_ts: Date.now() + 1000 }))
  t.match((await check()).text, /✗ server keys: no signature by ed25519:a1 verifies/)
  setUp(delegation, undefined, { status: 0, body: '' })
  t.match((await check()).text, /✗ server keys: GET \/_matrix\/key\/v2\/server failed: socket hang up/)
  for (const report of [(await check()).report]) t.equal(report.federates, false)
})

t.test('the client well-known needs CORS, a valid base_url and a homeserver behind it', async t => {
  const delegation = json({ 'm.server': `matrix.example.com:${port(homeserver)}` })
  setUp(delegation, { status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' })
  const { report, text } = await check()
  t.equal(report.federates, true, 'the client file does not decide federation')
  t.match(text, /✗ client well-known: no Access-Control-Allow-Origin header\n {4}fix: add "Access-Control-Allow-Origin: \*"/)
  setUp(delegation, json({ 'm.homeserver': { base_url: 'http://matrix.example.com' } }))
  t.match((await check()).text, /✗ client well-known: answered 200; m\.homeserver\.base_url uses http:\/\//)
  setUp(delegation, { status: 200, body: 'nope' })
  t.match((await check()).text, /✗ client well-known: answered 200 without JSON/)
  setUp(delegation, json([]))
  t.match((await check()).text, /✗ client well-known: answered 200; m\.homeserver\.base_url is missing/)
  setUp(delegation, json({ 'm.homeserver': 'https://matrix.example.com' }))
  t.match((await check()).text, /✗ client well-known: answered 200; m\.homeserver\.base_url is missing/)
  setUp(delegation, { ...json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), status: 500 })
  t.match((await check()).text, /✗ client well-known: answered 500; m\.homeserver\.base_url is fine/)
  setUp(delegation)
  routes.delete('hs /_matrix/client/versions')
  t.match((await check()).text, /✗ client well-known: https:\/\/matrix\.example\.com\/_matrix\/client\/versions answered 404/)
})

t.test('redirects are followed and reported; 308 is flagged; loops end', async t => {
  setUp({ status: 301, headers: { location: '/moved' }, body: '' })
  routes.set('apex /moved', json({ 'm.server': `matrix.example.com:${port(homeserver)}` }))
  t.match((await check()).text, /✓ server well-known: https:\/\/example\.com\/\.well-known\/matrix\/server redirects \(301\) to https:\/\/example\.com\/moved/)
  routes.set('apex /.well-known/matrix/server', { status: 308, headers: { location: '/moved' }, body: '' })
  t.match((await check()).text, /✗ server well-known: .* redirects with 308 .*\n {4}fix: several homeservers \(Synapse among them\) do not follow 308/)
  routes.set('apex /.well-known/matrix/server', { status: 302, headers: { location: '/.well-known/matrix/server' }, body: '' })
  t.match((await check()).text, /✗ server well-known: more than 5 redirects/)
})

t.test('cache periods as Synapse derives them', async t => {
  const period = async (headers: Record<string, string>) => {
    setUp(json({ 'm.server': `matrix.example.com:${port(homeserver)}` }, headers))
    return /Synapse caches it for ([^;]+);/.exec((await check()).text)?.[1]
  }
  t.equal(await period({ 'cache-control': 'no-store' }), '5 min')
  t.equal(await period({ 'cache-control': 'max-age=60' }), '5 min')
  t.equal(await period({ 'cache-control': 'max-age=999999' }), '48 h')
  t.equal(await period({ expires: new Date(Date.now() + 2 * 3600_000).toUTCString() }), '2 h')
})

t.test('IP literals and explicit ports skip the well-known, as the spec says', async t => {
  setUp(json({}))
  const ip = await checkDelegation({ ...options, name: `127.0.0.1:${port(homeserver)}` })
  t.same(ip.steps.map(step => step.step), ['resolve', 'TLS'])
  t.match(ip.steps[0]?.detail, /is an IP address/)
  const defaultPort = await checkDelegation({ ...options, name: '127.0.0.1' })
  t.match(formatReport(defaultPort), /✓ resolve: 127\.0\.0\.1 is an IP address: port 8448\n✗ TLS: cannot connect/)
  const named = await checkDelegation({ ...options, name: `matrix.example.com:${port(homeserver)}` })
  t.equal(named.steps[0]?.step, 'resolve')
  const nowhere = await checkDelegation({ ...options, name: 'nowhere.example.com:8448' })
  t.match(formatReport(nowhere), /✗ resolve: nowhere\.example\.com has no A or AAAA record/)
  const invalid = await checkDelegation({ ...options, name: 'https://example.com' })
  t.match(formatReport(invalid), /✗ server name: "https:\/\/example\.com" has a scheme/)
  const noApex = await checkDelegation({ ...options, name: 'missing.example.com' })
  t.match(formatReport(noApex), /✗ server well-known: missing\.example\.com has no A or AAAA record/)
})

t.test('canonical JSON sorts keys and drops whitespace, as another implementation does', async t => {
  const value = { b: 2, a: [{ d: 1, c: 'é', '\u2028': 'x' }, null, true], '': { z: 'ü\n', y: [1.5, -3] } }
  t.equal(canonicalJson({ b: 2, a: [{ d: 1, c: 'é' }, null, true] }), '{"a":[{"c":"é","d":1},null,true],"b":2}')
  t.equal(canonicalJson(value), anotherJson.stringify(value))
})

t.test('the command line: options, --json and exit codes', async t => {
  setUp(json({ 'm.server': `matrix.example.com:${port(homeserver)}` }))
  const caFile = join(dir, 'ca.crt')
  const common = ['--dns-server', `127.0.0.1:${port(dns)}`, '--ca-file', caFile,
    '--connect-to', `example.com:443:127.0.0.1:${port(apex)}`, '--resolve', `matrix.example.com:${port(homeserver)}:127.0.0.1`, '--timeout', '3']
  const [passing, asJson] = await Promise.all([runCli(['check', 'example.com', ...common]), runCli(['check', 'example.com', '--json', ...common])])
  t.equal(passing.code, 0, passing.err)
  t.match(passing.out, /✓ server keys/)
  t.match(JSON.parse(asJson.out), { name: 'example.com', federates: true, steps: [{ step: 'server well-known', ok: true }] })

  // A client file without CORS: federation works, so only --strict fails.
  routes.set('apex /.well-known/matrix/client', { status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' })
  const [lenient, strict] = await Promise.all([runCli(['check', 'example.com', ...common]), runCli(['check', 'example.com', '--json', '--strict', ...common])])
  t.equal(lenient.code, 0, 'a client file problem does not decide the exit code')
  t.equal(strict.code, 1, '--strict fails on it')
  t.match(JSON.parse(strict.out), { federates: true, steps: [{ step: 'server well-known', ok: true }] })

  routes.set('apex /.well-known/matrix/server', json({ 'm.server': 'https://matrix.example.com' }))
  const failing = await runCli(['check', 'example.com', ...common.slice(0, -2)])
  t.equal(failing.code, 1, 'with the default timeout too')
  t.match(failing.out, /fix: m\.server has a scheme/)
})
