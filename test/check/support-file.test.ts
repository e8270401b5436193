// The support well-known, against the loopback world of world.ts.
import t from 'tap'
import { check, closeWorld, json, setUp } from './world.js'

t.teardown(closeWorld)

t.test('the support well-known: ✓ when valid, ⚠ on problems', async t => {
  setUp({ '* /.well-known/matrix/support': json({ contacts: [{ role: 'm.role.admin', email_address: 'admin@example.com' }] }) })
  t.match((await check()).find('support well-known'), [{ level: 'ok', detail: '200, a valid support document' }])
  setUp({ '* /.well-known/matrix/support': json({ contacts: [] }, { 'access-control-allow-origin': '' }) })
  t.match((await check()).find('support well-known'), [{ level: 'warn', detail: /support\.contacts is an empty array/ }])
  setUp({ '* /.well-known/matrix/support': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"support_page":"https://example.com/help"}' } })
  t.match((await check()).find('support well-known', 'warn'), [{ detail: /no Access-Control-Allow-Origin/ }])
  setUp({ '* /.well-known/matrix/support': { status: 500, body: '' } })
  t.match((await check()).find('support well-known', 'warn'), [{ detail: 'answered 500' }])
  setUp({ '* /.well-known/matrix/support': { status: 200, body: '{' } })
  t.match((await check()).find('support well-known', 'warn'), [{ detail: /the body is not valid JSON/ }])
  setUp({ '* /.well-known/matrix/support': { status: 200, cut: true } })
  t.match((await check()).find('support well-known', 'warn'), [{ detail: /cut short/ }])
})
