// Steps 3 to 5 on every address, against the loopback world of world.ts:
// TLS, the signed keys and the server version.
import t from 'tap'
import { APEX, check, closeWorld, delegateTo, EXPIRING, HS, json, OPTIONS, setUp, signedKeys, TLS11 } from './world.js'

t.teardown(closeWorld)

t.test('every address of the target: one that accepts and fails ✗ for the servers that pick it', async t => {
  setUp(delegateTo(`mixed.example.com:${HS}`))
  const mixed = await check()
  t.comment(`one bad address:\n${mixed.text}`)
  t.match(mixed.find('TLS', 'fail'), [{ address: `127.0.0.4:${HS}`, detail: /the certificate does not name mixed\.example\.com/, fix: 'use a certificate whose names include mixed.example.com' }])
  t.match(mixed.find('server keys', 'ok'), [{ address: `127.0.0.1:${HS}` }])
  t.match(mixed.report.summary, { verdict: 'fails for some servers', failingAddresses: [`127.0.0.4:${HS}`] })

  setUp(delegateTo(`v6.example.com:${HS}`))
  t.match((await check()).report.summary, { verdict: 'fails for some servers', failingAddresses: [`[::1]:${HS}`], text: /\(over IPv6\)/ })

  setUp(delegateTo(`down.example.com:${HS}`))
  const down = await check()
  t.match(down.find('TLS'), [{ level: 'fail', address: `127.0.0.5:${HS}`, detail: /^no connection to down\.example\.com: .*ECONNREFUSED/ }])
  t.equal(down.report.summary.verdict, 'does not federate')
})

t.test('TLS: untrusted ✗, expiring within 14 days ⚠, older than TLS 1.2 ✗', async t => {
  setUp()
  const untrusted = await check({ ca: undefined })
  t.match(untrusted.find('server well-known', 'fail'), [{ detail: /the certificate is not valid for example\.com: UNABLE_TO_VERIFY_LEAF_SIGNATURE/ }])
  const direct = await check({ name: `matrix.example.com:${HS}`, ca: undefined })
  t.match(direct.find('TLS', 'fail'), [{ address: `127.0.0.1:${HS}`, detail: /the certificate is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/, fix: /public CA/ }])

  setUp(delegateTo(`matrix.example.com:${EXPIRING}`))
  const expiring = await check()
  t.match(expiring.find('TLS', 'warn'), [{ detail: /certificate for matrix\.example\.com expires in [45] days/, fix: /renew the certificate/ }])
  t.equal(expiring.report.summary.verdict, 'federates with warnings')

  setUp(delegateTo(`matrix.example.com:${TLS11}`))
  const old = await check()
  t.match(old.find('TLS', 'fail'), [{ detail: /accepts the connection, then: no TLS 1\.2 or newer/ }])
  t.equal(old.report.summary.verdict, 'does not federate')
})

t.test('keys: what the key server answers decides; its content type ⚠; a key expiring within the hour ⚠', async t => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ status: 404, body: '<html>' }, 'fail', /\/_matrix\/key\/v2\/server answered 404/],
    [{ status: 200, cut: true }, 'fail', /accepts the connection, then: the answer was cut short/],
    [{ status: 200, hangUp: true }, 'fail', /accepts the connection, then: socket hang up/],
    [json(signedKeys('other.example')), 'fail', /the server says it is "other\.example", not "example\.com"/],
    [json(signedKeys('example.com', Date.now() + 600_000)), 'warn', /the keys expire within the hour/],
    [{ ...json(signedKeys()), headers: { 'content-type': 'text/plain' } }, 'warn', /keys served as text\/plain/]
  ]
  for (const [answer, level, detail] of cases) {
    setUp({ '* /_matrix/key/v2/server': answer as ReturnType<typeof json> })
    const { find } = await check()
    t.match(find('server keys', level).concat(find('TLS', level)), [{ detail }], String(detail))
  }
})

t.test('the server version: reported ✓, missing ⚠', async t => {
  setUp({ '* /_matrix/federation/v1/version': { status: 404, body: '' } })
  const missing = await check()
  t.match(missing.find('server version'), [{ level: 'warn', detail: /answered 404 without a server name and version/ }])
  t.equal(missing.report.summary.verdict, 'federates with warnings')
  setUp({ '* /_matrix/federation/v1/version': json({ server: { name: 'Conduit' } }) })
  t.match((await check()).find('server version'), [{ level: 'ok', detail: 'Conduit (no version)' }])
  setUp({ '* /_matrix/federation/v1/version': { status: 200, hangUp: true } })
  t.match((await check()).find('server version'), [{ level: 'warn', detail: /failed: socket hang up/ }])
})

t.test('a host with more addresses than are worth checking: the first eight, and a line for the rest', async t => {
  setUp(delegateTo(`wide.example.com:${HS}`), 'wide.example.com')
  const overrides = new Map([...OPTIONS.overrides!, ['wide.example.com:443', { addresses: [], port: APEX }]])
  const { find, report } = await check({ name: 'wide.example.com', overrides })
  t.match(find('server well-known'), [{ level: 'ok', detail: 'wide.example.com has 10 addresses: the first 8 are checked, not the other 2' }])
  t.match(find('TLS'), [{ level: 'ok', detail: 'wide.example.com has 10 addresses: the first 8 are checked, not the other 2' }])
  t.equal(find('TLS').filter(finding => finding.address !== undefined).length, 8)
  t.equal(report.summary.verdict, 'federates with warnings')
})
