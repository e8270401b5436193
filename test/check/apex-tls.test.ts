// The apex's TLS for clients, against the loopback world of world.ts: the
// versions offered, the chain, the name and the expiry.
import t from 'tap'
import { ExchangeError, type TlsFacts } from '../../src/check/exchange.js'
import { Network } from '../../src/check/network.js'
import { APEX, check, closeWorld, EXPIRING, OPTIONS, PLAIN, setUp } from './world.js'

t.teardown(closeWorld)

const withOverride = (hostPort: string, port: number, addresses: string[] = []) =>
  new Map([...OPTIONS.overrides!, [hostPort, { addresses, port }]])

t.test('a sound apex: its certificate, and TLS 1.2 offered beside TLS 1.3', async t => {
  setUp()
  const { find } = await check()
  t.match(find('client TLS'), [
    { level: 'ok', address: `127.0.0.1:${APEX}`, detail: /^TLSv1\.3, certificate for example\.com, valid until \d{4}-/ },
    { level: 'ok', detail: 'TLS 1.2 offered too, as some clients need (Element X on iOS among them)' }
  ])
})

t.test('TLS 1.3 only: ⚠, with the fix', async t => {
  setUp({}, 'tls13.example.com')
  const { find, report } = await check({ name: 'tls13.example.com' })
  t.match(find('client TLS', 'warn'), [{ detail: /^only TLS 1\.3 is offered: some clients cannot connect \(Element X on iOS/, fix: /ssl_protocols TLSv1\.2 TLSv1\.3/ }])
  t.equal(report.federates, true)
})

t.test('a certificate for another name ✗, and one about to expire ⚠', async t => {
  setUp({}, 'wrongname.example.com')
  const wrong = await check({ name: 'wrongname.example.com', overrides: withOverride('wrongname.example.com:443', APEX, ['127.0.0.1']) })
  t.match(wrong.find('client TLS', 'fail'), [{ detail: /^TLSv1\.3, the certificate does not name wrongname\.example\.com: .*: clients refuse the client file$/, fix: /names wrongname\.example\.com/ }])
  t.match(wrong.report.summary.clientProblems, ['clients cannot find the homeserver', 'clients cannot read the client file'])

  setUp()
  const expiring = await check({ overrides: withOverride('example.com:443', EXPIRING) })
  t.match(expiring.find('client TLS', 'warn'), [{ detail: /certificate for example\.com expires in [45] days/, fix: /renew the certificate/ }])
})

t.test('an apex that accepts and then fails TLS ✗; one that refuses is the client file\'s finding alone', async t => {
  setUp()
  const refusing = await check({ overrides: withOverride('example.com:443', APEX, ['127.0.0.5']) })
  t.same(refusing.find('client TLS'), [])
  t.match(refusing.find('client well-known'), [{ level: 'warn', detail: /ECONNREFUSED/ }])
  const plain = await check({ overrides: withOverride('example.com:443', PLAIN) })
  t.match(plain.find('client TLS'), [{ level: 'fail', detail: /^example\.com accepts the connection, then: .*: clients cannot read the client file$/ }])
})

t.test('an apex this machine cannot reach is not checked: it says nothing about the server', async t => {
  class NoRoute extends Network {
    override handshake (): Promise<TlsFacts> {
      return Promise.reject(new ExchangeError('connect ENETUNREACH 2001:db8::9', false, 'no route'))
    }
  }
  setUp()
  const { dnsServer, ca, overrides } = OPTIONS
  const { find } = await check({ network: new NoRoute({ dnsServer, ca, overrides, timeoutMs: 3000 }) })
  t.match(find('client TLS'), [{ level: 'ok', detail: 'not checked: no route from this machine (connect ENETUNREACH 2001:db8::9)' }])
})
