// One exchange and one handshake with one address, against the loopback world
// of world.ts: what comes back, the deadline and body cap, and what a failure
// says about the server, or about this machine.
import { createSecureContext, rootCertificates } from 'node:tls'
import t from 'tap'
import {
  bare, contentType, exchangeOnce, ExchangeError, handshakeOnce, isJsonType, isNoRoute, MAX_BODY_BYTES, notCheckedBy,
  socketErrorText
} from '../../src/check/exchange.js'
import { APEX, CA, closeWorld, setUp, TLS11, TLS13 } from './world.js'

t.teardown(closeWorld)

const limits = { secureContext: createSecureContext({ ca: [...rootCertificates, CA] }), timeoutMs: 1000 }
const endpoint = { address: '127.0.0.1', port: APEX }
const request = (port: number, path = '/x') => ({ endpoint: { address: '127.0.0.1', port }, hostname: 'example.com', path, hostHeader: 'example.com' })

t.test('one exchange: status, headers, body and the TLS facts', async t => {
  setUp({ '* /x': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"a":1}' } })
  const exchange = await exchangeOnce(limits, request(APEX))
  t.match(exchange, { status: 200, body: '{"a":1}', headers: { 'content-type': 'application/json' }, tls: { protocol: 'TLSv1.3', untrusted: undefined, nameMismatch: undefined } })
  t.ok(exchange.tls.validTo.getTime() > Date.now())
  const mismatch = await exchangeOnce(limits, { ...request(APEX), hostname: 'other.example.org', hostHeader: 'other.example.org' })
  t.match(mismatch.tls.nameMismatch, /other\.example\.org/)
  const untrusted = await exchangeOnce({ ...limits, secureContext: undefined }, request(APEX))
  t.match(untrusted.tls.untrusted, /UNABLE_TO_VERIFY_LEAF_SIGNATURE/)
})

t.test('bounded: the body cap, the deadline, an answer cut short, an old TLS version', async t => {
  const failing: Array<[Record<string, unknown>, number, RegExp, boolean]> = [
    [{ status: 200, body: 'x'.repeat(MAX_BODY_BYTES + 1) }, APEX, /^the answer is larger than 50 KiB$/, true],
    [{ status: 200, drip: true }, APEX, /^no whole answer within 1 s$/, true],
    [{ status: 200, cut: true }, APEX, /^the answer was cut short$/, true],
    [{ status: 200 }, TLS11, /^no TLS 1\.2 or newer/, true]
  ]
  for (const [answer, port, message, connected] of failing) {
    setUp({ '* /x': answer as { status: number } })
    await t.rejects(exchangeOnce(limits, request(port)), { name: 'ExchangeError', message, connected, notChecked: undefined }, String(message))
  }
  await t.rejects(exchangeOnce(limits, { ...request(APEX), endpoint: { address: '127.0.0.5', port: APEX } }), { message: /ECONNREFUSED/, connected: false })
})

t.test('a handshake alone: the protocol and certificate, and whether an older version is offered', async t => {
  t.match(await handshakeOnce(limits, endpoint, 'example.com'), { protocol: 'TLSv1.3', untrusted: undefined, nameMismatch: undefined })
  const upTo12 = { ...limits, secureContext: createSecureContext({ ca: [...rootCertificates, CA], maxVersion: 'TLSv1.2' }) }
  t.match(await handshakeOnce(upTo12, endpoint, 'example.com'), { protocol: 'TLSv1.2' })
  await t.rejects(handshakeOnce(upTo12, { address: '127.0.0.1', port: TLS13 }, 'example.com'),
    { name: 'ExchangeError', connected: true, message: /no TLS 1\.2 or newer|protocol|alert/i })
  await t.rejects(handshakeOnce(limits, { address: '127.0.0.5', port: APEX }, 'example.com'), { connected: false, message: /ECONNREFUSED/ })
})

t.test('a failure of this machine says nothing about the server', async t => {
  const coded = (code: string) => Object.assign(new Error(code), { code })
  t.equal(notCheckedBy(coded('ENETUNREACH')), 'no route')
  t.equal(notCheckedBy(coded('EADDRNOTAVAIL')), 'no route')
  for (const code of ['EMFILE', 'ENFILE', 'ENOMEM', 'ENOBUFS']) t.equal(notCheckedBy(coded(code)), 'local limit', code)
  t.equal(notCheckedBy(coded('ECONNREFUSED')), undefined)
  t.equal(isNoRoute(coded('ENETUNREACH')), true)
  t.equal(isNoRoute(coded('EMFILE')), false)
  t.match(new ExchangeError('x', false, 'local limit'), { connected: false, notChecked: 'local limit' })
  t.equal(socketErrorText(Object.assign(new Error('connect EMFILE 127.0.0.1:443'), { code: 'EMFILE' })),
    'this process has no file descriptor left (EMFILE): the check\'s own limit, not the server\'s')
  t.equal(socketErrorText(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' })), 'connect ECONNREFUSED 127.0.0.1:443')
})

t.test('what the report shows of answers and hosts', async t => {
  t.equal(bare('[::1]'), '::1')
  t.equal(bare('example.com'), 'example.com')
  t.equal(contentType({}), 'no content type')
  t.equal(contentType({ 'content-type': 'text/plain' }), 'text/plain')
  t.same(['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/jsonx', 'text/json'].map(isJsonType), [true, true, true, false, false])
})
