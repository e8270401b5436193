// The client document's rules: its base, the published shapes of the keys
// clients read beyond m.homeserver, and the keys no client reads any more.
import t from 'tap'
import {
  clientBaseProblem, clientDocumentProblem, clientExtraProblem, clientKeyProblem,
  OBSOLETE_CLIENT_KEYS, obsoleteKeyWarnings, RTC_FOCI_KEY, rtcFociProblem
} from '../src/client-document.js'

const LIVEKIT = { type: 'livekit', livekit_service_url: 'https://livekit-jwt.example.com' }
const BASE = { 'm.homeserver': { base_url: 'https://matrix.example.com' } }

t.test('checks extra client keys', async t => {
  t.equal(clientExtraProblem({ 'io.element.e2ee': { default: true }, 'm.tile_server': { map_style_url: 'https://x' } }), undefined)
  t.match(clientExtraProblem([]), /not a JSON object/)
  t.match(clientExtraProblem(null), /not a JSON object/)
  t.match(clientExtraProblem('x'), /not a JSON object/)
  t.match(clientExtraProblem({ 'm.homeserver': {} }), /redefines "m.homeserver"/)
  t.match(clientExtraProblem({ 'm.identity_server': {} }), /redefines "m.identity_server"/)
  t.match(clientExtraProblem({ theme: 'dark' }), /"theme", which is not namespaced/)
  t.match(clientExtraProblem({ '.x': 1 }), /not namespaced/)
})

t.test('Element Call\'s foci: a non-empty array of typed foci; a livekit focus with a usable URL', async t => {
  t.equal(rtcFociProblem([LIVEKIT]), undefined)
  t.equal(rtcFociProblem([LIVEKIT, { type: 'org.example.focus', anything: [1] }]), undefined, 'other focus types are kept as given')
  const bad: Array<[unknown, RegExp]> = [
    [LIVEKIT, /^is not an array of foci: write \[\{"type":"livekit","livekit_service_url":"https:\/\/livekit-jwt\.example\.com"\}\]$/],
    [[], /^is an empty array: give at least one focus, or leave the key out$/],
    [['https://livekit-jwt.example.com'], /^has focus 1, which is not an object such as \{"type":"livekit"/],
    [[{ livekit_service_url: 'https://livekit-jwt.example.com' }], /^has focus 1 without a "type" \(a non-empty string such as "livekit"\)$/],
    [[LIVEKIT, { type: '' }], /^has focus 2 without a "type"/],
    [[{ type: 7 }], /^has focus 1 without a "type"/],
    [[{ type: 'livekit' }], /^has livekit focus 1 without "livekit_service_url", the URL of its LiveKit JWT service$/],
    [[{ type: 'livekit', livekit_service_url: 'http://livekit-jwt.example.com' }], /^has livekit focus 1 whose livekit_service_url uses http:\/\/: use https:\/\//],
    [[{ type: 'livekit', livekit_service_url: 42 }], /^has livekit focus 1 whose livekit_service_url is not a string$/],
    [[{ type: 'livekit', livekit_service_url: 'https://jwt.example.com/?x=1' }], /livekit_service_url has a query/]
  ]
  for (const [foci, problem] of bad) t.match(rtcFociProblem(foci), problem, JSON.stringify(foci))
})

t.test('the tile server: an object whose map_style_url is https, under either name', async t => {
  for (const key of ['m.tile_server', 'org.matrix.msc3488.tile_server']) {
    t.equal(clientKeyProblem(key, { map_style_url: 'https://tiles.example.com/style.json' }), undefined, key)
    t.match(clientKeyProblem(key, 'https://tiles.example.com/style.json'), /^is not an object such as \{"map_style_url"/)
    t.equal(clientKeyProblem(key, {}), 'has no "map_style_url"')
    t.match(clientKeyProblem(key, { map_style_url: 'http://tiles.example.com/style.json' }), /^has a map_style_url that uses http:\/\//)
    t.equal(clientKeyProblem(key, { map_style_url: ['x'] }), 'has a map_style_url that is not a string')
  }
  t.equal(clientKeyProblem('org.example.anything', 'as given'), undefined, 'unknown namespaced keys stay as given')
})

t.test('a bad shape names its key, in the extra keys and in a whole document', async t => {
  t.match(clientExtraProblem({ [RTC_FOCI_KEY]: LIVEKIT }), /^has "org\.matrix\.msc4143\.rtc_foci", which is not an array of foci/)
  t.same(clientDocumentProblem({ ...BASE, [RTC_FOCI_KEY]: [{ type: 'livekit' }] }),
    { field: 'client.org.matrix.msc4143.rtc_foci', problem: 'has livekit focus 1 without "livekit_service_url", the URL of its LiveKit JWT service' })
  t.same(clientDocumentProblem({ ...BASE, 'org.matrix.msc3488.tile_server': {} }), { field: 'client.org.matrix.msc3488.tile_server', problem: 'has no "map_style_url"' })
  t.equal(clientDocumentProblem({ ...BASE, [RTC_FOCI_KEY]: [LIVEKIT] }), undefined)
  t.equal(clientBaseProblem({ ...BASE, [RTC_FOCI_KEY]: {} }), undefined, 'the base alone does not judge shapes: check reports them by what breaks')
  t.match(clientBaseProblem({ ...BASE, theme: 'dark' }), { field: 'client', problem: /"theme", which is not namespaced/ })
})

t.test('obsolete keys: each named with what replaced it', async t => {
  t.same(Object.keys(OBSOLETE_CLIENT_KEYS).sort(), ['im.vector.riot.e2ee', 'm.authentication', 'org.matrix.msc2965.authentication', 'org.matrix.msc3575.proxy'])
  const warnings = obsoleteKeyWarnings({ ...BASE, 'org.matrix.msc2965.authentication': {}, 'im.vector.riot.e2ee': {}, [RTC_FOCI_KEY]: [] })
  t.match(warnings, [
    /^"org\.matrix\.msc2965\.authentication" is obsolete: clients find the sign-in server through \/_matrix\/client\/v1\/auth_metadata .*; remove it$/,
    /^"im\.vector\.riot\.e2ee" is obsolete: Element reads io\.element\.e2ee instead; remove it$/
  ])
  t.equal(warnings.length, 2)
  t.same(obsoleteKeyWarnings({ toString: 1 }), [], 'only the document\'s own keys')
})
