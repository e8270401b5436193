// The check's network access, against the loopback world of world.ts: lookups,
// overrides, and one exchange under its deadline and body cap.
import t from 'tap'
import { bare, contentType, formatEndpoint, isJsonType, isNoRoute, MAX_BODY_BYTES, Network } from '../../src/check/network.js'
import { APEX, CA, closeWorld, DNS_SERVER, setUp, TLS11 } from './world.js'

t.teardown(closeWorld)

const network = new Network({ dnsServer: DNS_SERVER, ca: CA, timeoutMs: 1000, overrides: new Map([['example.com:443', { addresses: ['::1'], port: APEX }]]) })
const endpoint = { address: '127.0.0.1', port: APEX }

t.test('looks up AAAA then A records; an IP literal is its own address; overrides win', async t => {
  t.same(await network.lookupAddresses('multi.example.com'), ['::1', '127.0.0.1', '127.0.0.2'])
  t.same(await network.lookupAddresses('[::1]'), ['::1'])
  t.same(await network.lookupAddresses('missing.example.com'), [])
  t.same(await network.endpoints('example.com', 443), [{ address: '::1', port: APEX }])
  t.same(await network.endpoints('example.com', 8448), [{ address: '127.0.0.1', port: 8448 }], 'only the host:port overridden')
  t.same(await network.srv('_matrix-fed._tcp.missing.example.com'), [], 'no SRV record is no error')
  t.equal(await network.cname('www.example.com'), 'matrix.example.com')
  t.equal(await network.cname('matrix.example.com'), undefined)
})

t.test('one exchange: status, headers, body and the TLS facts', async t => {
  setUp({ '* /x': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"a":1}' } })
  const exchange = await network.exchange({ endpoint, hostname: 'example.com', path: '/x', hostHeader: 'example.com' })
  t.match(exchange, { status: 200, body: '{"a":1}', headers: { 'content-type': 'application/json' }, tls: { protocol: 'TLSv1.3', untrusted: undefined, nameMismatch: undefined } })
  t.ok(exchange.tls.validTo.getTime() > Date.now())
  const mismatch = await network.exchange({ endpoint, hostname: 'other.example.org', path: '/x', hostHeader: 'other.example.org' })
  t.match(mismatch.tls.nameMismatch, /other\.example\.org/)
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
    await t.rejects(network.exchange({ endpoint: { address: '127.0.0.1', port }, hostname: 'example.com', path: '/x', hostHeader: 'example.com' }),
      { name: 'ExchangeError', message, connected, unreachable: false }, String(message))
  }
  await t.rejects(network.exchange({ endpoint: { address: '127.0.0.5', port: APEX }, hostname: 'example.com', path: '/', hostHeader: 'example.com' }),
    { message: /ECONNREFUSED/, connected: false })
})

t.test('what the report shows of addresses and answers', async t => {
  t.equal(bare('[::1]'), '::1')
  t.equal(bare('example.com'), 'example.com')
  t.equal(formatEndpoint({ address: '::1', port: 443 }), '[::1]:443')
  t.equal(formatEndpoint({ address: '192.0.2.1', port: 8448 }), '192.0.2.1:8448')
  t.equal(contentType({}), 'no content type')
  t.equal(contentType({ 'content-type': 'text/plain' }), 'text/plain')
  t.same(['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/jsonx', 'text/json'].map(isJsonType), [true, true, true, false, false])
  t.equal(isNoRoute(Object.assign(new Error('x'), { code: 'ENETUNREACH' })), true)
  t.equal(isNoRoute(Object.assign(new Error('x'), { code: 'ECONNRESET' })), false)
})
