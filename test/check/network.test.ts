// The check's network access, against the loopback world of world.ts: lookups,
// overrides, and exchanges and handshakes a fixed number at once.
import t from 'tap'
import { formatEndpoint, MAX_CONNECTIONS, Network } from '../../src/check/network.js'
import { APEX, CA, closeWorld, DNS_SERVER, inFlight, setUp } from './world.js'

t.teardown(closeWorld)

const network = new Network({ dnsServer: DNS_SERVER, ca: CA, timeoutMs: 3000, overrides: new Map([['example.com:443', { addresses: ['::1'], port: APEX }]]) })
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

t.test(`never more than ${MAX_CONNECTIONS} connections at once, however many are asked for`, async t => {
  setUp({ '* /slow': { status: 200, body: '{}', delayMs: 100 } })
  const asked = Array.from({ length: MAX_CONNECTIONS * 3 }, () =>
    network.exchange({ endpoint, hostname: 'example.com', path: '/slow', hostHeader: 'example.com' }))
  const handshakes = Array.from({ length: MAX_CONNECTIONS }, () => network.handshake(endpoint, 'example.com'))
  const answers = await Promise.all(asked)
  await Promise.all(handshakes)
  t.same([...new Set(answers.map(answer => answer.status))], [200], 'every one answered in turn')
  t.ok(inFlight.max > 1, `several at once (${inFlight.max})`)
  t.ok(inFlight.max <= MAX_CONNECTIONS, `at most ${MAX_CONNECTIONS} at once (${inFlight.max})`)
})

t.test('what the report shows of addresses', async t => {
  t.equal(formatEndpoint({ address: '::1', port: 443 }), '[::1]:443')
  t.equal(formatEndpoint({ address: '192.0.2.1', port: 8448 }), '192.0.2.1:8448')
})
