// Step 2, where remote servers connect, against the loopback world of world.ts.
import t from 'tap'
import { MAX_CONNECTIONS } from '../../src/check/network.js'
import { check, closeWorld, delegateTo, HS, inFlight, setUp } from './world.js'

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

t.test('a hostile answer of 300 SRV targets: the first ten checked, a few connections at once, a short report and a verdict', async t => {
  setUp({}, 'many.example.com')
  const { report, text, find } = await check({ name: 'many.example.com' })
  t.comment(`300 targets: ${text.length} characters of report`)
  t.match(find('resolve'), [
    { level: 'ok', detail: /^SRV _matrix-fed\._tcp\.many\.example\.com → t0\.many\.example\.com:\d+ \(priority 10, weight 5\), .*, then t9\.many\.example\.com:\d+ \(priority 10, weight 5\), and 290 more$/ },
    { level: 'ok', detail: 'the first 10 targets are checked: homeservers try the other 290 only when those fail' }
  ])
  t.equal(find('server keys', 'ok').length, 10, 'each checked target\'s working address')
  t.equal(find('TLS', 'warn').length, 10, 'each checked target\'s refusing address, which servers move on from')
  t.notOk(/EMFILE|ENFILE|file descriptor/.test(text), 'no resource error')
  t.ok(text.length < 10_000, 'a report a person can read')
  t.ok(inFlight.max <= MAX_CONNECTIONS, `at most ${MAX_CONNECTIONS} requests at once (${inFlight.max})`)
  t.equal(report.summary.verdict, 'federates with warnings')
})
