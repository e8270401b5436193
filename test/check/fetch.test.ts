// A client's request through redirects and addresses, against the loopback
// world of world.ts.
import t from 'tap'
import { fetchFollowingRedirects, notCheckedText, preflightAllowed, urlUnder } from '../../src/check/fetch.js'
import { Network } from '../../src/check/network.js'
import { APEX, CA, closeWorld, DNS_SERVER, json, seen, setUp } from './world.js'

t.teardown(closeWorld)

const network = (trustTestCa = true) => new Network({
  dnsServer: DNS_SERVER,
  ca: trustTestCa ? CA : undefined,
  timeoutMs: 3000,
  overrides: new Map([
    ['example.com:443', { addresses: [], port: APEX }],
    ['other-host.example.com:443', { addresses: [], port: APEX }],
    ['refusing.example.com:443', { addresses: ['127.0.0.5', '127.0.0.1'], port: APEX }]
  ])
})
const START = new URL('https://example.com/start')

t.test('follows each redirect, keeping every hop and whether it carried CORS', async t => {
  setUp({
    '* /start': { status: 301, headers: { location: '/next' } },
    '* /next': { status: 308, headers: { location: 'https://other-host.example.com/end', 'access-control-allow-origin': '*' } },
    '* /end': json({ done: true })
  })
  const fetched = await fetchFollowingRedirects(network(), START, { headers: { 'user-agent': 'test' } })
  t.ok(fetched.ok)
  if (!fetched.ok) return
  t.equal(fetched.url.href, 'https://other-host.example.com/end')
  t.equal(fetched.exchange.body, '{"done":true}')
  t.same(fetched.hops.map(hop => [hop.status, hop.from.href, hop.to.href, hop.cors]), [
    [301, 'https://example.com/start', 'https://example.com/next', false],
    [308, 'https://example.com/next', 'https://other-host.example.com/end', true]
  ])
  t.same(seen.map(request => [request.method, request.headers.host, request.headers['user-agent']]), [
    ['GET', 'example.com', 'test'], ['GET', 'example.com', 'test'], ['GET', 'other-host.example.com', 'test']
  ])
})

t.test('moves to the next address when a connection cannot be made, and asks with the method given', async t => {
  setUp({ '* OPTIONS /start': { status: 204, headers: { 'access-control-allow-origin': '*' } } })
  const fetched = await fetchFollowingRedirects(network(), new URL('https://refusing.example.com/start'), { headers: {}, method: 'OPTIONS' })
  t.match(fetched, { ok: true, exchange: { status: 204 }, hops: [] })
})

t.test('ends with the reason on a loop, too many hops, a bad Location, plain http, no address or a bad certificate', async t => {
  const failures: Array<[Record<string, { status: number, headers: Record<string, string> }>, URL, RegExp, boolean]> = [
    [{ '* /start': { status: 302, headers: { location: '/start' } } }, START, /^a redirect loop: https:\/\/example\.com\/start redirects back$/, true],
    [Object.fromEntries([0, 1, 2, 3, 4, 5].map(hop => [`* /${hop === 0 ? 'start' : hop}`, { status: 307, headers: { location: `/${hop + 1}` } }])),
      START, /^more than 5 redirects$/, true],
    [{ '* /start': { status: 303, headers: { location: 'http://[' } } }, START, /redirects \(303\) to "http:\/\/\[", which is not a URL$/, true],
    [{ '* /start': { status: 301, headers: { location: 'http://example.com/' } } }, START, /^a redirect leads to http:\/\/example\.com\/, which is not https$/, true],
    [{}, new URL('https://missing.example.com/'), /^missing\.example\.com has no A or AAAA record$/, false],
    [{}, new URL('https://down.example.com/'), /^GET https:\/\/down\.example\.com\/ failed: .*ECONNREFUSED/, false]
  ]
  for (const [routes, url, error, connected] of failures) {
    setUp(routes)
    const fetched = await fetchFollowingRedirects(network(), url, { headers: {} })
    t.match(fetched, { ok: false, error, connected }, String(error))
  }
  setUp()
  t.match(await fetchFollowingRedirects(network(false), START, { headers: {} }),
    { ok: false, connected: true, error: /^GET https:\/\/example\.com\/start failed: the certificate is not valid for example\.com: / })
})

t.test('an address this machine could not try is reported as not checked, with why', async t => {
  t.equal(notCheckedText('no route', 'connect ENETUNREACH ::9'), 'not checked: no route from this machine (connect ENETUNREACH ::9)')
  t.equal(notCheckedText('local limit', 'this process has no file descriptor left (EMFILE)'), 'not checked: this process has no file descriptor left (EMFILE)')
})

t.test('a path under a base URL, whether the base ends in "/" or not', async t => {
  t.equal(urlUnder('https://matrix.example.com', '/_matrix/client/versions').href, 'https://matrix.example.com/_matrix/client/versions')
  t.equal(urlUnder('https://example.com/matrix//', '/healthz').href, 'https://example.com/matrix/healthz')
})

t.test('a preflight is allowed only unredirected, with a 2xx and Access-Control-Allow-Origin', async t => {
  setUp({
    '* OPTIONS /cors': { status: 204, headers: { 'access-control-allow-origin': '*' } },
    '* OPTIONS /bare': { status: 204 },
    '* OPTIONS /refused': { status: 405, headers: { 'access-control-allow-origin': '*' } },
    '* OPTIONS /moved': { status: 307, headers: { location: '/cors', 'access-control-allow-origin': '*' } }
  })
  const preflight = (path: string) => fetchFollowingRedirects(network(), new URL(path, START), { headers: {}, method: 'OPTIONS' })
  t.equal(preflightAllowed(await preflight('/cors')), true)
  t.equal(preflightAllowed(await preflight('/bare')), false)
  t.equal(preflightAllowed(await preflight('/refused')), false)
  t.equal(preflightAllowed(await preflight('/moved')), false)
  t.equal(preflightAllowed(await fetchFollowingRedirects(network(false), START, { headers: {}, method: 'OPTIONS' })), false, 'no answer at all')
})
