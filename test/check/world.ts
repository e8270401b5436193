// The loopback world the `check` tests run in: a DNS server answering A, AAAA,
// SRV and CNAME records; TLS servers on several loopback addresses (127.0.0.x and
// ::1) with certificates from a CA made here; a key server that signs its answer
// with an ed25519 key made here, over another-json's canonical JSON, not ours;
// a LiveKit JWT service and an OAuth sign-in server, each on a port of its own.
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import type { Socket as UdpSocket } from 'node:dgram'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server, type ServerOptions } from 'node:https'
import { createServer as createPlainServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { join } from 'node:path'
import anotherJson from 'another-json'
import t from 'tap'
import dns2, { type Packet as dns2Packet } from 'dns2'
import { checkDelegation, type CheckOptions } from '../../src/check/check.js'
import type { Finding } from '../../src/check/findings.js'
import { formatReport } from '../../src/check/report.js'
import { tempDir } from '../helper.js'
import { Network, type Override } from '../../src/check/network.js'

// Removed when the test file ends, with the certificates made in it.
export const dir = tempDir(t, 'check')
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=matrix-well-known test CA')
function certificate (name: string, hosts: string[], days = 30) {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${hosts[0]}`)
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${hosts.map(host => `DNS:${host}`).join(',')}\n`)
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', String(days), '-extfile', `${name}.ext`)
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.crt`)) }
}
export const CA_FILE = join(dir, 'ca.crt')
export const CA = readFileSync(CA_FILE, 'utf8')
const NAMES = ['example.com', 'matrix.example.com', 'multi.example.com', 'mixed.example.com', 'srv.example.com', 'srvdown.example.com',
  'legacy.example.com', 'alias.example.com', 'v6.example.com', 'dangling.example.com', 'old.example.com', 'other-host.example.com',
  'refusing.example.com', 'weighted.example.com', 'noroute.example.com', 'many.example.com', 'tls13.example.com',
  'livekit-jwt.example.com', 'auth.example.com', 'wide.example.com']
export const good = certificate('good', NAMES)
const wrong = certificate('wrong', ['other.example.com'])
const expiring = certificate('expiring', NAMES, 5)

/** What a route answers: a status, headers and body, or a way to misbehave. */
export type Answer = {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Send a Content-Length of 100, then 12 bytes, then close. */
  cut?: boolean
  /** Send the body a byte every 400 ms. */
  drip?: boolean
  /** Close the connection without an answer. */
  hangUp?: boolean
  /** Answer only after this long. */
  delayMs?: number
}
type Route = Answer | ((request: IncomingMessage) => Answer)
/** "<server label> <path>" or "* <path>" → the answer. */
export const routes = new Map<string, Route>()
export const seen: IncomingMessage[] = []

export const json = (value: unknown, headers: Record<string, string> = {}): Answer =>
  ({ status: 200, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', ...headers }, body: JSON.stringify(value) })

function respond (label: string, request: IncomingMessage, response: ServerResponse, delayed?: Answer) {
  if (delayed === undefined) seen.push(request)
  const path = `${request.method === 'OPTIONS' ? 'OPTIONS ' : ''}${request.url}`
  const route = routes.get(`${label} ${path}`) ?? routes.get(`* ${path}`)
  const answer = delayed ?? (typeof route === 'function' ? route(request) : route) ??
    (request.method === 'OPTIONS' ? { status: 204, headers: { 'access-control-allow-origin': '*' } } : { status: 404, body: '{"errcode":"M_NOT_FOUND"}' })
  if (answer.hangUp === true) return request.socket.destroy()
  if (answer.delayMs !== undefined) {
    return setTimeout(() => respond(label, request, response, { ...answer, delayMs: undefined }), answer.delayMs)
  }
  if (answer.cut === true) {
    response.writeHead(answer.status, { ...answer.headers, 'content-length': '100' }).write('{"m.server":')
    return setTimeout(() => request.socket.destroy(), 20)
  }
  if (answer.drip === true) {
    response.writeHead(answer.status, answer.headers)
    const timer = setInterval(() => response.write(' '), 400)
    return response.on('close', () => clearInterval(timer))
  }
  response.writeHead(answer.status, answer.headers).end(answer.body ?? '')
}

/** Requests being answered at once by the servers of this world, now and at most since setUp. */
export const inFlight = { now: 0, max: 0 }
const servers: Server[] = []
async function serve (label: string, options: ServerOptions, host: string, port = 0): Promise<number> {
  const server = createServer(options, (request, response) => {
    inFlight.max = Math.max(inFlight.max, ++inFlight.now)
    response.once('close', () => inFlight.now--)
    respond(label, request, response)
  }).listen(port, host)
  await once(server, 'listening')
  servers.push(server)
  return (server.address() as AddressInfo).port
}
type Listener = [label: string, options: ServerOptions, host: string]
/**
 * Servers on one port number across several addresses. The first address picks
 * it; a test file running beside this one may hold it on another address (a
 * client's port on ::1), and then another number is tried.
 */
async function serveOnOnePort (first: Listener, ...others: Listener[]): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await serve(...first)
    const started = servers.length - 1
    try {
      for (const other of others) await serve(...other, port)
      return port
    } catch (error) {
      for (const server of servers.splice(started)) server.close()
      if (attempt === 10) throw error
    }
  }
}

// The apex: the same port on 127.0.0.1, 127.0.0.2 and ::1, each with its own label.
export const APEX = await serveOnOnePort(['apex', good, '127.0.0.1'], ['apex2', good, '127.0.0.2'], ['apex6', good, '::1'])
// The homeserver: a working one on 127.0.0.1; on the same port, an impostor with
// another name's certificate on 127.0.0.4 and on ::1; nothing on 127.0.0.5.
export const HS = await serveOnOnePort(['hs', good, '127.0.0.1'], ['impostor', wrong, '127.0.0.4'], ['impostor', wrong, '::1'])
export const EXPIRING = await serve('hs', expiring, '127.0.0.1')
export const TLS11 = await serve('hs', { ...good, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, '127.0.0.1')
// An apex that offers TLS 1.3 only; a LiveKit JWT service; a sign-in (OAuth) server.
export const TLS13 = await serve('apex', { ...good, minVersion: 'TLSv1.3' }, '127.0.0.1')
export const JWT = await serve('jwt', good, '127.0.0.1')
export const AUTH = await serve('auth', good, '127.0.0.1')
// Plain HTTP where TLS is expected: it accepts the connection, then answers no handshake.
const plain = createPlainServer(socket => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')).listen(0, '127.0.0.1')
await once(plain, 'listening')
export const PLAIN = (plain.address() as AddressInfo).port

// The homeserver's signing key, and its answer at /_matrix/key/v2/server.
const { publicKey, privateKey } = generateKeyPairSync('ed25519')
export const PUBLIC_KEY = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64').replace(/=+$/, '')
/** A key answer signed over another-json's canonical JSON; `tamper` signs other content. */
export function signedKeys (serverName = 'example.com', validUntil: unknown = Date.now() + 86_400_000, extra: Record<string, unknown> = {}, tamper = false) {
  const keys = { server_name: serverName, valid_until_ts: validUntil, verify_keys: { 'ed25519:a1': { key: PUBLIC_KEY } }, old_verify_keys: {}, ...extra }
  const signature = sign(null, Buffer.from(anotherJson.stringify(tamper ? { ...keys, valid_until_ts: 1 } : keys)), privateKey).toString('base64').replace(/=+$/, '')
  return { ...keys, signatures: { [serverName]: { 'ed25519:a1': signature } } }
}

// DNS: "<type> <name>" → records, encoded here (dns2 parses the queries; its
// encoder takes seconds for 300 SRV records). As a real server does, an answer
// too large for a UDP datagram is sent truncated, and the resolver asks again
// over TCP, on the same port.
const records: Record<string, Array<Record<string, unknown>>> = {}
const MAX_UDP_ANSWER_BYTES = 512
const TYPE = { A: 1, CNAME: 5, AAAA: 28, SRV: 33 }
const u16 = (value: number) => { const bytes = Buffer.alloc(2); bytes.writeUInt16BE(value); return bytes }
const domainName = (name: string) => Buffer.concat([...name.split('.').filter(Boolean).map(label => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])), Buffer.from([0])])
function ipv6Bytes (address: string): Buffer {
  const [head = '', tail = ''] = address.split('::')
  const groups = (part: string) => part === '' ? [] : part.split(':')
  const [left, right] = [groups(head), groups(tail)]
  const all = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  return Buffer.concat(all.map(group => u16(parseInt(group, 16))))
}
function recordData (type: number, record: Record<string, unknown>): Buffer {
  if (type === TYPE.A) return Buffer.from(String(record.address).split('.').map(Number))
  if (type === TYPE.AAAA) return ipv6Bytes(String(record.address))
  if (type === TYPE.SRV) {
    const { priority, weight, port, target } = record
    return Buffer.concat([u16(Number(priority)), u16(Number(weight)), u16(Number(port)), domainName(String(target))])
  }
  return domainName(String(record.domain))
}
function answer (request: dns2Packet, overUdp: boolean): Buffer {
  const [question] = request.questions
  const { name, type } = question!
  const answers = (records[`${type} ${name}`] ?? []).map(record => {
    const data = recordData(type, record)
    // The name is a pointer to the question's, at offset 12.
    return Buffer.concat([u16(0xc00c), u16(type), u16(1), Buffer.from([0, 0, 0, 60]), u16(data.length), data])
  })
  const questionBytes = Buffer.concat([domainName(name), u16(type), u16(1)])
  const whole = 12 + questionBytes.length + answers.reduce((sum, bytes) => sum + bytes.length, 0)
  const truncated = overUdp && whole > MAX_UDP_ANSWER_BYTES
  // A response, recursion desired and available; TC when truncated.
  const flags = 0x8180 | (truncated ? 0x0200 : 0)
  const counts = [1, truncated ? 0 : answers.length, 0, 0] // questions, answers, authority, additional
  const header = Buffer.concat([u16(request.header.id), u16(flags), ...counts.map(u16)])
  return Buffer.concat([header, questionBytes, ...(truncated ? [] : answers)])
}
// Over TCP each message has a two-byte length before it, and a resolver may
// send several queries on one connection.
function answerOverTcp (socket: Socket): void {
  let pending = Buffer.alloc(0)
  socket.on('error', () => {})
  socket.on('data', chunk => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const query = dns2.Packet.parse(pending.subarray(2, 2 + pending.readUInt16BE(0)))
      pending = pending.subarray(2 + pending.readUInt16BE(0))
      const reply = answer(query, false)
      const length = Buffer.alloc(2)
      length.writeUInt16BE(reply.length)
      socket.write(Buffer.concat([length, reply]))
    }
  })
}
// One port number for UDP and TCP. TCP's is taken first: the test files running
// beside this one hold many TCP ports, as servers and as clients, and few UDP
// ones; should the UDP one be taken all the same, another pair is tried.
async function dnsServers (): Promise<{ udp: UdpSocket, tcp: NetServer, port: number }> {
  for (let attempt = 1; ; attempt++) {
    const tcp = createPlainServer(answerOverTcp).listen(0, '127.0.0.1')
    await once(tcp, 'listening')
    const port = (tcp.address() as AddressInfo).port
    const udp = dns2.createUDPServer((request, send) => send(answer(request, true))) as unknown as UdpSocket
    try {
      udp.bind(port, '127.0.0.1')
      await once(udp, 'listening')
      return { udp, tcp, port }
    } catch (error) {
      udp.close()
      tcp.close()
      if (attempt === 10) throw error
    }
  }
}
const { udp: dns, tcp: dnsOverTcp, port: dnsPort } = await dnsServers()
export const DNS_SERVER = `127.0.0.1:${dnsPort}`
const { A, AAAA, SRV, CNAME } = TYPE
const a = (name: string, ...addresses: string[]) => { records[`${A} ${name}`] = addresses.map(address => ({ address })) }
const aaaa = (name: string, ...addresses: string[]) => { records[`${AAAA} ${name}`] = addresses.map(address => ({ address })) }
const srv = (name: string, ...targets: Array<[number, number, number, string]>) => {
  records[`${SRV} ${name}`] = targets.map(([priority, weight, port, target]) => ({ priority, weight, port, target }))
}
for (const name of ['example.com', 'matrix.example.com', 'other-host.example.com']) a(name, '127.0.0.1')
a('multi.example.com', '127.0.0.1', '127.0.0.2')
aaaa('multi.example.com', '::1')
a('mixed.example.com', '127.0.0.1', '127.0.0.4')
a('refusing.example.com', '127.0.0.1', '127.0.0.5')
a('v6.example.com', '127.0.0.1')
aaaa('v6.example.com', '::1')
a('down.example.com', '127.0.0.5')
// An IPv6 address this machine has no route to: test/check.test.ts makes connecting to it fail as on an IPv4-only host.
a('noroute.example.com', '127.0.0.1')
aaaa('noroute.example.com', '2001:db8::9')
srv('_matrix-fed._tcp.srv.example.com', [10, 5, HS, 'matrix.example.com'])
srv('_matrix-fed._tcp.srvdown.example.com', [20, 5, HS, 'matrix.example.com'], [10, 5, HS, 'down.example.com'])
srv('_matrix-fed._tcp.weighted.example.com', [10, 1, HS, 'matrix.example.com'], [10, 9, HS, 'down.example.com'])
srv('_matrix._tcp.legacy.example.com', [10, 5, HS, 'matrix.example.com'])
srv('_matrix-fed._tcp.alias.example.com', [10, 5, HS, 'www.example.com'])
records[`${CNAME} www.example.com`] = [{ domain: 'matrix.example.com' }]
a('www.example.com', '127.0.0.1')
srv('_matrix-fed._tcp.dangling.example.com', [10, 5, 8448, 'noaddress.example.com'])
// A hostile answer: 300 SRV targets, each a name with two addresses of its own.
export const MANY_TARGETS = 300
srv('_matrix-fed._tcp.many.example.com', ...Array.from({ length: MANY_TARGETS }, (_, i): [number, number, number, string] => [10, 5, HS, `t${i}.many.example.com`]))
for (let i = 0; i < MANY_TARGETS; i++) a(`t${i}.many.example.com`, '127.0.0.1', '127.0.0.5')
for (const name of ['tls13.example.com', 'livekit-jwt.example.com', 'auth.example.com']) a(name, '127.0.0.1')
// Ten addresses, the first that works: nothing listens on the others.
a('wide.example.com', '127.0.0.1', ...Array.from({ length: 9 }, (_, i) => `127.0.0.${10 + i}`))

/** The options that point a check at this world; the apex of example.com and multi.example.com on APEX. */
export const OPTIONS: CheckOptions = {
  name: 'example.com',
  dnsServer: DNS_SERVER,
  ca: CA,
  overrides: new Map<string, Override>([
    ['example.com:443', { addresses: [], port: APEX }],
    ['multi.example.com:443', { addresses: [], port: APEX }],
    ['old.example.com:443', { addresses: ['127.0.0.1'], port: APEX }],
    ['other-host.example.com:443', { addresses: [], port: APEX }],
    ['matrix.example.com:443', { addresses: [], port: HS }],
    ['example.com:8448', { addresses: ['127.0.0.5'] }],
    ['tls13.example.com:443', { addresses: [], port: TLS13 }],
    ['livekit-jwt.example.com:443', { addresses: [], port: JWT }],
    ['auth.example.com:443', { addresses: [], port: AUTH }]
  ]),
  timeoutMs: 3000
}

/** A Matrix error answer, as a homeserver gives it, with CORS. */
export const matrixError = (status: number, errcode: string): Answer =>
  ({ status, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' }, body: JSON.stringify({ errcode, error: errcode }) })

/** The sign-in server's metadata, as a homeserver with Matrix Authentication Service gives it at auth_metadata. */
export const AUTH_METADATA = {
  issuer: 'https://auth.example.com/',
  authorization_endpoint: 'https://auth.example.com/authorize',
  token_endpoint: 'https://auth.example.com/oauth2/token',
  registration_endpoint: 'https://auth.example.com/oauth2/registration',
  revocation_endpoint: 'https://auth.example.com/oauth2/revoke'
}

/**
 * The usual setup, for `serverName`: it delegates to matrix.example.com:HS, which
 * works; client and support files published; the homeserver announces call
 * transports itself and offers password login; the JWT service and the
 * sign-in server answer when a test points at them.
 */
export function setUp (overrides: Record<string, Route | undefined> = {}, serverName = 'example.com') {
  routes.clear()
  seen.length = 0
  inFlight.max = inFlight.now
  const defaults: Record<string, Route> = {
    '* /.well-known/matrix/server': json({ 'm.server': `matrix.example.com:${HS}` }, { 'cache-control': 'max-age=14400' }),
    '* /.well-known/matrix/client': json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }),
    '* /_matrix/key/v2/server': json(signedKeys(serverName)),
    '* /_matrix/federation/v1/version': json({ server: { name: 'Synapse', version: '1.157.1' } }),
    '* /_matrix/client/versions': json({ versions: ['v1.11', 'v1.12'], unstable_features: { 'org.matrix.simplified_msc3575': true } }),
    '* /_matrix/client/v1/rtc/transports': matrixError(401, 'M_MISSING_TOKEN'),
    '* /_matrix/client/unstable/org.matrix.msc4143/rtc/transports': matrixError(401, 'M_MISSING_TOKEN'),
    '* /_matrix/client/v1/auth_metadata': matrixError(404, 'M_UNRECOGNIZED'),
    'jwt /healthz': { status: 200 },
    'auth /authorize': { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>sign in</html>' }
  }
  for (const [key, route] of Object.entries({ ...defaults, ...overrides })) {
    if (route !== undefined) routes.set(key, route)
  }
}

export function closeWorld () {
  for (const server of servers) server.close()
  plain.close()
  dns.close()
  dnsOverTcp.close()
}

// Made once: a Network parses every root certificate when it is made, which
// was most of the CPU a check file spent. Checks that change how to connect get their own.
const { dnsServer, ca, overrides, timeoutMs } = OPTIONS
const network = new Network({ dnsServer, ca, overrides, timeoutMs: timeoutMs! })
const CONNECTION_OPTIONS = ['dnsServer', 'ca', 'overrides', 'timeoutMs', 'network']

/** Checks in this world: the report, its text, and the findings of a step (at a level). */
export async function check (extra: Partial<CheckOptions> = {}) {
  const ownNetwork = CONNECTION_OPTIONS.some(option => option in extra)
  const report = await checkDelegation({ ...OPTIONS, ...(ownNetwork ? {} : { network }), ...extra })
  const find = (step: string, level?: string) =>
    report.findings.filter((finding: Finding) =>
      finding.step === step && (level === undefined || finding.level === level))
  return { report, text: formatReport(report), find }
}

/** The route that delegates to `server`, with a cache period by default. */
export const delegateTo = (server: string, headers: Record<string, string> = { 'cache-control': 'max-age=14400' }) =>
  ({ '* /.well-known/matrix/server': json({ 'm.server': server }, headers) })
