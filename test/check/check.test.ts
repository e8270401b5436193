// `check` end to end against the loopback world of world.ts: a working
// delegation, the names that skip steps, the deadline, and an address this
// machine cannot reach.
import t from 'tap'
import { checkDelegation } from '../../src/check/check.js'
import { GO_AGENT, SYNAPSE_AGENT } from '../../src/check/context.js'
import { ExchangeError, isNoRoute, type ExchangeRequest } from '../../src/check/exchange.js'
import { Network } from '../../src/check/network.js'
import { APEX, check, closeWorld, delegateTo, HS, json, OPTIONS, seen, setUp, signedKeys } from './world.js'

t.teardown(closeWorld)

t.test('a working delegation: every step ✓, and the verdict says it federates', async t => {
  setUp()
  const { report, text } = await check()
  t.comment(`passing setup:\n${text}`)
  t.same(report.findings.filter(finding => finding.level !== 'ok'), [])
  t.match(report.summary, { verdict: 'federates', failures: 0, warnings: 0 })
  t.equal(report.federates, true)
  t.match(text, /^server well-known\n {2}✓ homeservers \(Synapse\/1\.157\.1, Go-http-client\/1\.1\) and a browser get the same answer\n {2}✓ 200, application\/json, CORS; m\.server = matrix\.example\.com:\d+\n {2}✓ Synapse caches it for 4 h\n/)
  t.match(text, /resolve\n {2}✓ matrix\.example\.com:\d+ has a port: no SRV lookup/)
  t.match(text, /TLS\n {2}✓ 127\.0\.0\.1:\d+: TLSv1\.3, certificate for matrix\.example\.com, valid until \d{4}-/)
  t.match(text, /server keys\n {2}✓ 127\.0\.0\.1:\d+: example\.com signs with ed25519:a1, valid until/)
  t.match(text, /server version\n {2}✓ Synapse 1\.157\.1/)
  t.match(text, /client well-known\n {2}✓ 200, m\.homeserver\.base_url = https:\/\/matrix\.example\.com\n {2}✓ https:\/\/matrix\.example\.com\/_matrix\/client\/versions answers: v1\.12 and older/)
  t.match(text, /support well-known\n {2}✓ not published\n/)
  t.match(text, /example\.com federates: remote servers reach a server that proves it is example\.com\.\n$/)
  const wellKnown = seen.filter(request => request.url === '/.well-known/matrix/server')
  t.same(wellKnown.map(request => request.headers['user-agent']).sort(), [GO_AGENT, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36', SYNAPSE_AGENT].sort())
  t.ok(wellKnown.every(request => request.headers.host === 'example.com'), 'Host is the server name')
  const keys = seen.find(request => request.url === '/_matrix/key/v2/server')
  t.equal(keys?.headers.host, `matrix.example.com:${HS}`, 'the key request carries the Host the spec prescribes')
})

t.test('IP literals and explicit ports skip the well-known, as the spec says', async t => {
  setUp({ '* /_matrix/key/v2/server': json(signedKeys(`127.0.0.1:${HS}`)) })
  const ip = await check({ name: `127.0.0.1:${HS}` })
  t.same([...new Set(ip.report.findings.map(finding => finding.step))], ['resolve', 'TLS'], 'no well-known, no client files')
  t.match(ip.text, /✓ 127\.0\.0\.1:\d+ is an IP address: connect to port \d+/)
  const defaultPort = await check({ name: '127.0.0.1', overrides: new Map([['127.0.0.1:8448', { addresses: ['127.0.0.5'] }]]) })
  t.match(defaultPort.text, /✓ 127\.0\.0\.1 is an IP address: connect to port 8448\n/)
  t.match(defaultPort.find('TLS', 'fail'), [{ address: '127.0.0.5:8448' }])
  const nowhere = await check({ name: 'nowhere.example.com:8448' })
  t.match(nowhere.find('resolve', 'fail'), [{ detail: 'nowhere.example.com has no A or AAAA record' }])
  t.match(nowhere.find('client well-known', 'warn'), [{ detail: /nowhere\.example\.com has no A or AAAA record/ }])
  t.match(await checkDelegation({ name: 'bad name' }), { summary: { verdict: 'does not federate' }, findings: [{ step: 'server name', detail: '"bad name" contains whitespace' }] }, 'with no options but the name')
  const invalid = await check({ name: 'https://example.com' })
  t.match(invalid.text, /^server name\n {2}✗ "https:\/\/example\.com" has a scheme/)
  t.equal(invalid.report.summary.verdict, 'does not federate')
  const refused = await check({ name: 'down.example.com' })
  t.match(refused.find('server well-known', 'fail'), [{ detail: /GET https:\/\/down\.example\.com\/\.well-known\/matrix\/server failed: .*ECONNREFUSED/ }])
  const noApex = await check({ name: 'missing.example.com' })
  t.match(noApex.find('server well-known', 'fail'), [{ detail: /missing\.example\.com has no A or AAAA record: remote servers cannot fetch/ }])
})

t.test('bounded: a body that drips past the deadline ends the request, and the check still reports', async t => {
  setUp({ '* /.well-known/matrix/server': { status: 200, drip: true } })
  const started = Date.now()
  const { find } = await check({ timeoutMs: 1000 })
  t.match(find('server well-known', 'fail'), [{ detail: /failed: no whole answer within 1 s/ }])
  // A drip never ends by itself: only each request's deadline ends the check.
  t.ok(Date.now() - started < 30_000, `the check ended after ${Date.now() - started} ms`)
})

t.test('an address this machine has no route to is not checked, and says nothing about the server', async t => {
  // Connecting to 2001:db8::9 fails here as on a host without IPv6, with no packet sent.
  class NoIpv6 extends Network {
    override exchange (outgoing: ExchangeRequest) {
      return outgoing.endpoint.address === '2001:db8::9'
        ? Promise.reject(new ExchangeError('connect ENETUNREACH 2001:db8::9', false, 'no route'))
        : super.exchange(outgoing)
    }
  }
  setUp({ ...delegateTo(`noroute.example.com:${HS}`), '* /_matrix/key/v2/server': json(signedKeys('noroute.example.com')) }, 'noroute.example.com')
  const overrides = new Map([['noroute.example.com:443', { addresses: [], port: APEX }], ['matrix.example.com:443', { addresses: [], port: HS }]])
  const network = new NoIpv6({ dnsServer: OPTIONS.dnsServer, ca: OPTIONS.ca, overrides, timeoutMs: 3000 })
  const report = await checkDelegation({ ...OPTIONS, name: 'noroute.example.com', network })
  t.match(report.findings.filter(finding => finding.address?.startsWith('[2001:db8::9]')), [
    { step: 'server well-known', level: 'ok', detail: /^not checked: no route from this machine \(.*ENETUNREACH/ },
    { step: 'TLS', level: 'ok', detail: /^not checked: no route from this machine to noroute\.example\.com \(connect ENETUNREACH/ }
  ])
  t.equal(report.summary.verdict, 'federates', JSON.stringify(report.findings.filter(finding => finding.level !== 'ok')))
  t.equal(isNoRoute(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' })), true)
  t.equal(isNoRoute(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false)
})

t.test('the checker\'s own limits (EMFILE and the like) are reported as its own, never as the server\'s', async t => {
  // The ::1 address of the target finds this process out of file descriptors.
  class OutOfDescriptors extends Network {
    override exchange (outgoing: ExchangeRequest) {
      const message = 'this process has no file descriptor left (EMFILE): the check\'s own limit, not the server\'s'
      return outgoing.endpoint.address === '::1'
        ? Promise.reject(new ExchangeError(message, false, 'local limit'))
        : super.exchange(outgoing)
    }
  }
  setUp(delegateTo(`v6.example.com:${HS}`))
  const { dnsServer, ca, overrides } = OPTIONS
  const network = new OutOfDescriptors({ dnsServer, ca, overrides, timeoutMs: 3000 })
  const report = await checkDelegation({ ...OPTIONS, network })
  t.match(report.findings.filter(finding => finding.address === `[::1]:${HS}`), [
    { step: 'TLS', level: 'ok', detail: /^not checked: this process has no file descriptor left \(EMFILE\): the check's own limit, not the server's$/ }
  ])
  t.equal(report.summary.verdict, 'federates')
})
