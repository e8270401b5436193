// Calls, against the loopback world of world.ts: the foci in the client file,
// each LiveKit JWT service as a browser meets it, and whether the homeserver
// announces transports itself.
import t from 'tap'
import { check, closeWorld, json, JWT, matrixError, OPTIONS, setUp, type Answer } from './world.js'

t.teardown(closeWorld)

const JWT_URL = 'https://livekit-jwt.example.com'
const clientFile = (extra: Record<string, unknown>) =>
  json({ 'm.homeserver': { base_url: 'https://matrix.example.com' }, ...extra })
const withFoci = (foci: unknown, routes: Record<string, unknown> = {}) =>
  setUp({ '* /.well-known/matrix/client': clientFile({ 'org.matrix.msc4143.rtc_foci': foci }), ...routes } as Parameters<typeof setUp>[0])
const noTransports = {
  '* /_matrix/client/v1/rtc/transports': matrixError(404, 'M_UNRECOGNIZED'),
  '* /_matrix/client/unstable/org.matrix.msc4143/rtc/transports': matrixError(404, 'M_UNRECOGNIZED')
}

t.test('working calls: a healthy JWT service with CORS, and a homeserver that announces transports', async t => {
  withFoci([{ type: 'livekit', livekit_service_url: JWT_URL }])
  const { find, report, text } = await check()
  t.comment(`calls:\n${text}`)
  t.same(find('calls').map(finding => [finding.level, finding.detail]), [
    ['ok', `JWT service 1 (${JWT_URL}) is healthy and answers a browser's preflight of /sfu/get and /get_token with CORS`],
    ['ok', 'the homeserver announces call transports itself (rtc/transports asks for a token)']
  ])
  t.same(report.summary.clientProblems, [])
  setUp()
  t.same((await check()).find('calls').map(finding => finding.level), ['ok'], 'no foci, but the homeserver announces transports')
})

t.test('no focus anywhere: ✗, calls cannot start, and the last line says so', async t => {
  setUp(noTransports)
  const { find, report } = await check()
  t.match(find('calls'), [{ level: 'fail', detail: /^no focus for calls: .*Element Call cannot start calls \(MISSING_MATRIX_RTC_FOCUS\)$/, fix: /MATRIX_RTC_LIVEKIT_SERVICE_URL.*msc4143_enabled/ }])
  t.equal(report.summary.text, 'example.com federates; calls will fail: see ✗ above.')
  t.equal(report.federates, true)
})

t.test('foci, but no transports on the homeserver: ⚠, newer Element Call asks only the homeserver', async t => {
  withFoci([{ type: 'livekit', livekit_service_url: JWT_URL }], noTransports)
  t.match((await check()).find('calls', 'warn'), [{ detail: /announces no call transports .*Element Call 0\.24 and later ask only the homeserver/ }])
  withFoci([{ type: 'livekit', livekit_service_url: JWT_URL }], { '* /_matrix/client/v1/rtc/transports': { status: 502, body: '' }, '* /_matrix/client/unstable/org.matrix.msc4143/rtc/transports': { status: 502, body: '' } })
  t.match((await check()).find('calls', 'warn'), [{ detail: /^cannot tell whether the homeserver announces call transports: .*answered 502/ }])
})

t.test('each bad shape of the foci is ✗ with the key named', async t => {
  const shapes: Array<[unknown, RegExp]> = [
    [{ type: 'livekit', livekit_service_url: JWT_URL }, /is not an array of foci/],
    [[{ type: 'livekit', livekit_service_url: 'http://livekit-jwt.example.com' }], /livekit_service_url uses http:\/\//],
    [[{ livekit_service_url: JWT_URL }], /has focus 1 without a "type"/],
    [[{ type: 'livekit' }], /has livekit focus 1 without "livekit_service_url"/]
  ]
  for (const [foci, detail] of shapes) {
    withFoci(foci)
    const { find, report } = await check()
    t.match(find('calls', 'fail'), [{ detail: new RegExp(`^"org\\.matrix\\.msc4143\\.rtc_foci" .*${detail.source}.*: Element Web hands it to Element Call as it is, and calls fail$`) }], JSON.stringify(foci))
    t.same(report.summary.clientProblems, ['calls will fail'])
  }
})

t.test('a JWT service that is down, has another name\'s certificate, is unhealthy or refuses the browser\'s preflight', async t => {
  const failing: Array<[string, Record<string, unknown>, 'fail' | 'warn', RegExp]> = [
    ['https://down.example.com', {}, 'fail', /^JWT service 1 \(https:\/\/down\.example\.com\): GET https:\/\/down\.example\.com\/healthz failed: .*ECONNREFUSED.*: calls cannot get a token$/],
    ['https://wrongname.example.com', {}, 'fail', /GET https:\/\/wrongname\.example\.com\/healthz failed: the certificate is not valid for wrongname\.example\.com/],
    [JWT_URL, { 'jwt /healthz': { status: 503 } }, 'fail', /GET \/healthz answered 503: calls cannot get a token/],
    [JWT_URL, { 'jwt OPTIONS /sfu/get': { status: 405 }, 'jwt OPTIONS /get_token': { status: 200 } }, 'fail', /answers a browser's preflight without CORS: \/sfu\/get \(405, no Access-Control-Allow-Origin\), \/get_token \(200, no Access-Control-Allow-Origin\): Element Call in a browser cannot get a token/],
    [JWT_URL, { 'jwt OPTIONS /get_token': { status: 404 } }, 'warn', /answers a browser's preflight of \/get_token \(404, no Access-Control-Allow-Origin\) without CORS/]
  ]
  for (const [url, routes, level, detail] of failing) {
    withFoci([{ type: 'livekit', livekit_service_url: url }], routes)
    const overrides = new Map([...OPTIONS.overrides!, ['wrongname.example.com:443', { addresses: ['127.0.0.1'], port: JWT }]])
    t.match((await check({ overrides })).find('calls', level), [{ detail, fix: /lk-jwt-service/ }], String(detail))
  }
  withFoci(Array.from({ length: 7 }, (_, i) => ({ type: i === 6 ? 'org.example.other' : 'livekit', livekit_service_url: JWT_URL })))
  t.match((await check()).find('calls'), [{}, {}, {}, {}, {}, { detail: 'and 1 more livekit foci, not checked' }, { level: 'ok' }], 'at most five services checked')
})

t.test('the JWT service behind a path prefix: its endpoints under that path', async t => {
  withFoci([{ type: 'livekit', livekit_service_url: `${JWT_URL}/livekit/jwt/` }], { 'jwt /livekit/jwt/healthz': { status: 200 } })
  const { find } = await check({ overrides: OPTIONS.overrides })
  t.match(find('calls'), [{ level: 'ok', detail: /^JWT service 1 \(https:\/\/livekit-jwt\.example\.com\/livekit\/jwt\/\) is healthy/ }, { level: 'ok' }])
})

t.test('a bad focus and no transports: both ✗; transports that cannot be told; preflights that fail or redirect', async t => {
  withFoci({ type: 'livekit' }, noTransports)
  t.match((await check()).find('calls', 'fail'), [{ detail: /is not an array of foci/ }, { detail: /^no focus for calls: no usable "org\.matrix\.msc4143\.rtc_foci" in the client file/ }])
  const unknown: Array<[Answer, RegExp]> = [
    [{ status: 404, headers: { 'content-type': 'text/html' }, body: '<html>' }, /rtc\/transports answered 404$/],
    [{ status: 200, hangUp: true }, /rtc\/transports failed: socket hang up$/]
  ]
  for (const [route, detail] of unknown) {
    setUp({ '* /_matrix/client/v1/rtc/transports': route, '* /_matrix/client/unstable/org.matrix.msc4143/rtc/transports': route })
    t.match((await check()).find('calls', 'warn'), [{ detail: new RegExp(`^cannot tell whether the homeserver announces call transports: .*${detail.source}`) }], String(detail))
  }
  withFoci([{ type: 'livekit', livekit_service_url: JWT_URL }], {
    'jwt OPTIONS /sfu/get': { status: 0, hangUp: true },
    'jwt OPTIONS /get_token': { status: 308, headers: { location: '/elsewhere', 'access-control-allow-origin': '*' } }
  })
  t.match((await check()).find('calls', 'fail'), [{ detail: /without CORS: \/sfu\/get \(OPTIONS .* failed: socket hang up\), \/get_token \(204, redirected\)/ }])
})
