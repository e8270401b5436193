// The client well-known, as a browser client reads it, against the loopback
// world of world.ts.
import t from 'tap'
import { check, closeWorld, json, setUp } from './world.js'

t.teardown(closeWorld)

t.test('the client well-known, as a browser client reads it', async t => {
  const client = (answer: unknown, extra: Record<string, unknown> = {}) => setUp({ '* /.well-known/matrix/client': answer as ReturnType<typeof json>, ...extra } as Record<string, ReturnType<typeof json>>)
  client({ status: 404, body: '' })
  t.match((await check()).find('client well-known'), [{ level: 'ok', detail: /not published/ }])

  client({ status: 302, headers: { location: '/client2' } }, { '* /client2': { status: 301, headers: { location: '/client3', 'access-control-allow-origin': '*' } }, '* /client3': json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }) })
  const hops = await check()
  t.match(hops.find('client well-known').slice(0, 2), [
    { level: 'warn', detail: /\/\.well-known\/matrix\/client redirects \(302\) to .*\/client2 without Access-Control-Allow-Origin: browsers drop the redirect/, fix: /MSC4402/ },
    { level: 'ok', detail: /\/client2 redirects \(301\) to .*\/client3, with CORS/ }
  ])
  t.equal(hops.report.federates, true, 'the client file does not decide federation')

  const warnings: Array<[unknown, RegExp, Record<string, unknown>?]> = [
    [{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' }, /no Access-Control-Allow-Origin header: browser clients/],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }, { 'content-type': 'text/plain' }), /served as text\/plain/],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' }, 'org.matrix.msc3575.proxy': { url: 'https://sync.example.com' } }), /"org\.matrix\.msc3575\.proxy" is obsolete/],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), /the CORS preflight \(OPTIONS\) answered 405 without Access-Control-Allow-Origin/, { '* OPTIONS /.well-known/matrix/client': { status: 405 } }],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), /the CORS preflight \(OPTIONS\) is redirected/, { '* OPTIONS /.well-known/matrix/client': { status: 301, headers: { location: '/elsewhere', 'access-control-allow-origin': '*' } }, '* OPTIONS /elsewhere': { status: 204, headers: { 'access-control-allow-origin': '*' } } }],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), /the CORS preflight \(OPTIONS\) OPTIONS https:\/\/example\.com\/\.well-known\/matrix\/client failed: socket hang up/, { '* OPTIONS /.well-known/matrix/client': { status: 0, hangUp: true } }],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), /does not advertise simplified sliding sync .*Element X will not log in/, { '* /_matrix/client/versions': json({ versions: ['v1.11'] }) }],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), /versions has no Access-Control-Allow-Origin header/, { '* /_matrix/client/versions': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"versions":["v1.11"],"unstable_features":{"org.matrix.simplified_msc3575":true}}' } }]
  ]
  for (const [answer, detail, extra] of warnings) {
    client(answer, extra)
    const { report, find } = await check()
    t.match(find('client well-known', 'warn'), [{ detail }], String(detail))
    t.equal(report.summary.verdict, 'federates with warnings')
  }

  const failures: Array<[unknown, RegExp, Record<string, unknown>?]> = [
    [json({ 'm.homeserver': { base_url: 'http://matrix.example.com' } }), /client\.m\.homeserver\.base_url uses http:\/\//],
    [{ status: 200, body: 'nope' }, /the body is not valid JSON/],
    [json([]), /client is not a JSON object/],
    [{ ...json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), status: 500 }, /answered 500/],
    [{ status: 200, cut: true }, /failed: the answer was cut short/],
    [json({ 'm.homeserver': { base_url: 'https://matrix.example.com' } }), /versions answered 404 without a list of versions/, { '* /_matrix/client/versions': { status: 404 } }]
  ]
  for (const [answer, detail, extra] of failures) {
    client(answer, extra)
    const { report, find } = await check()
    t.match(find('client well-known', 'fail'), [{ detail }], String(detail))
    t.equal(report.federates, true)
  }
})

t.test('each obsolete key ⚠ with what replaced it; a tile server in the wrong shape ⚠', async t => {
  const base = { 'm.homeserver': { base_url: 'https://matrix.example.com' } }
  setUp({ '* /.well-known/matrix/client': json({ ...base, 'org.matrix.msc2965.authentication': {}, 'm.authentication': {}, 'im.vector.riot.e2ee': {} }) })
  t.match((await check()).find('client well-known', 'warn'), [
    { detail: /^"org\.matrix\.msc2965\.authentication" is obsolete: clients find the sign-in server through \/_matrix\/client\/v1\/auth_metadata/, fix: 'remove "org.matrix.msc2965.authentication"' },
    { detail: /^"m\.authentication" is obsolete: it was never in the spec/ },
    { detail: /^"im\.vector\.riot\.e2ee" is obsolete: Element reads io\.element\.e2ee instead$/ }
  ])
  setUp({ '* /.well-known/matrix/client': json({ ...base, 'm.tile_server': { map_style_url: 'http://tiles.example.com/style.json' } }) })
  t.match((await check()).find('client well-known', 'warn'), [{ detail: /^"m\.tile_server" has a map_style_url that uses http:\/\/.*: clients cannot show maps$/ }])
})
