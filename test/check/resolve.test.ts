// Step 2, where remote servers connect, against the loopback world of world.ts.
import t from 'tap'
import { check, closeWorld, delegateTo, HS, setUp } from './world.js'

t.teardown(closeWorld)

t.test('resolution: SRV chains, the deprecated SRV ⚠, a CNAME target ⚠, the first SRV target down ⚠', async t => {
  setUp({ ...delegateTo('srv.example.com') })
  t.match((await check()).text, /✓ SRV _matrix-fed\._tcp\.srv\.example\.com → matrix\.example\.com:\d+ \(priority 10, weight 5\)/)

  setUp(delegateTo('legacy.example.com'))
  const legacy = await check()
  t.match(legacy.find('resolve', 'warn'), [{ detail: /^SRV _matrix\._tcp\.legacy\.example\.com → matrix\.example\.com/, fix: /_matrix\._tcp is deprecated: publish _matrix-fed\._tcp\.legacy\.example\.com/ }])
  t.equal(legacy.report.summary.verdict, 'federates with warnings')

  setUp(delegateTo('alias.example.com'))
  t.match((await check()).find('resolve', 'warn'), [{ detail: /SRV target www\.example\.com is a CNAME for matrix\.example\.com: RFC 2782 forbids it/ }])

  setUp(delegateTo('srvdown.example.com'))
  const down = await check()
  t.comment(`with warnings:\n${down.text}`)
  t.match(down.text, /✓ SRV _matrix-fed\._tcp\.srvdown\.example\.com → down\.example\.com:\d+ \(priority 10, weight 5\), then matrix\.example\.com:\d+ \(priority 20/)
  t.match(down.find('TLS', 'warn'), [{ address: `127.0.0.5:${HS}`, detail: /no connection to down\.example\.com: .*ECONNREFUSED.*; remote servers move on to another address/ }])
  t.equal(down.report.summary.verdict, 'federates with warnings')

  setUp(delegateTo('weighted.example.com'))
  t.match((await check()).text, /✓ SRV _matrix-fed\._tcp\.weighted\.example\.com → down\.example\.com:\d+ \(priority 10, weight 9\), then matrix\.example\.com:\d+ \(priority 10, weight 1\)/, 'weights order targets within a priority')

  setUp(delegateTo('dangling.example.com'))
  const dangling = await check()
  t.match(dangling.find('resolve', 'fail'), [{ detail: 'noaddress.example.com has no A or AAAA record' }])
  t.equal(dangling.report.summary.verdict, 'does not federate')
})
