// The apex's client file against the homeserver's own copy, in the loopback
// world of world.ts: what clients act on must be the same in both.
import t from 'tap'
import { check, closeWorld, json, setUp } from './world.js'

t.teardown(closeWorld)

const FOCI = [{ type: 'livekit', livekit_service_url: 'https://livekit-jwt.example.com' }]
const file = (baseUrl: string, extra: Record<string, unknown> = {}) => json({ 'm.homeserver': { base_url: baseUrl }, ...extra })

t.test('the same values on both hosts: ✓, a trailing slash aside', async t => {
  setUp({ 'apex /.well-known/matrix/client': file('https://matrix.example.com/'), 'hs /.well-known/matrix/client': file('https://matrix.example.com') })
  t.match((await check()).find('client well-known').at(-1), { level: 'ok', detail: 'the same m.homeserver and foci as the homeserver\'s own copy at https://matrix.example.com/.well-known/matrix/client' })
})

t.test('foci or a base URL only on the homeserver\'s copy: ⚠ the apex copy is stale', async t => {
  setUp({ 'apex /.well-known/matrix/client': file('https://matrix.example.com'), 'hs /.well-known/matrix/client': file('https://matrix.example.com', { 'org.matrix.msc4143.rtc_foci': FOCI }) })
  const stale = await check()
  t.match(stale.find('client well-known', 'warn'), [{
    detail: /^the apex copy is stale: org\.matrix\.msc4143\.rtc_foci is nothing here and \[\{"livekit_service_url":"https:\/\/livekit-jwt\.example\.com","type":"livekit"\}\] there \(https:\/\/matrix\.example\.com\/\.well-known\/matrix\/client\)$/,
    fix: /MATRIX_RTC_LIVEKIT_SERVICE_URL/
  }])
  setUp({ 'hs /.well-known/matrix/client': file('https://new.example.com') })
  t.match((await check()).find('client well-known', 'warn'), [{ detail: /^the apex copy is stale: m\.homeserver\.base_url is https:\/\/matrix\.example\.com here and https:\/\/new\.example\.com there/ }])
})

t.test('no copy of its own, an unreadable one, or the same host: nothing to compare', async t => {
  for (const route of [{ status: 404, body: '' }, { status: 200, body: 'not json' }]) {
    setUp({ 'hs /.well-known/matrix/client': route })
    t.notOk((await check()).find('client well-known').some(finding => /copy/.test(finding.detail)), JSON.stringify(route))
  }
  setUp({ '* /.well-known/matrix/client': file('https://example.com') })
  t.notOk((await check()).find('client well-known').some(finding => /copy/.test(finding.detail)), 'base_url on the apex itself')
})

t.test('a homeserver copy without m.homeserver or foci is compared as having nothing there', async t => {
  setUp({ 'hs /.well-known/matrix/client': json({ 'org.example.other': 1 }) })
  t.match((await check()).find('client well-known', 'warn'), [{ detail: /^the apex copy is stale: m\.homeserver\.base_url is https:\/\/matrix\.example\.com here and nothing there/ }])
  setUp({ 'hs /.well-known/matrix/client': json({ 'm.homeserver': { base_url: 42 } }) })
  t.match((await check()).find('client well-known', 'warn'), [{ detail: /is https:\/\/matrix\.example\.com here and nothing there/ }])
})
