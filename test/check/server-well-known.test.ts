// Step 1, the server well-known, against the loopback world of world.ts: from
// every address, as homeservers and browsers ask, redirects, a broken or
// missing file, its content type and cache period.
import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { APEX, check, closeWorld, delegateTo, HS, json, OPTIONS, routes, setUp, signedKeys } from './world.js'

t.teardown(closeWorld)

t.test('the well-known from every address: the same answer ✓, a different one ✗ names the address', async t => {
  setUp({}, 'multi.example.com')
  const same = await check({ name: 'multi.example.com' })
  t.match(same.text, new RegExp(`✓ the same answer from each address: \\[::1\\]:${APEX}, 127\\.0\\.0\\.1:${APEX}, 127\\.0\\.0\\.2:${APEX}`))

  setUp({ 'apex2 /.well-known/matrix/server': { status: 404, headers: { 'content-type': 'text/html' }, body: '<html>' } }, 'multi.example.com')
  const split = await check({ name: 'multi.example.com' })
  t.comment(`split brain:\n${split.text}`)
  t.match(split.find('server well-known', 'fail'), [{
    address: `127.0.0.2:${APEX}`,
    detail: new RegExp(`answers 404 text/html, where \\[::1\\]:${APEX} answers 200 with m\\.server "matrix\\.example\\.com:${HS}": remote servers get a different delegation`),
    fix: /serve the same file from every address/
  }])
  t.match(split.report.summary, { verdict: 'fails for some servers', failingAddresses: [`127.0.0.2:${APEX}`] })
  t.match(split.text, new RegExp(`multi\\.example\\.com fails for some servers: those reaching 127\\.0\\.0\\.2:${APEX}\\. Fix the ✗ above\\.\\n$`))
  t.equal(split.report.federates, false)

  setUp({ 'apex6 /.well-known/matrix/server': json({ 'm.server': 'elsewhere.example.com' }) }, 'multi.example.com')
  const v6 = await check({ name: 'multi.example.com' })
  t.match(v6.text, /fails for some servers: those reaching \[::1\]:\d+ \(over IPv6\)/)
})

t.test('an address of the name that refuses the connection only slows servers down: ⚠', async t => {
  setUp({}, 'refusing.example.com')
  const { report, find } = await check({ name: 'refusing.example.com', overrides: new Map([['refusing.example.com:443', { addresses: [], port: APEX }], ['matrix.example.com:443', { addresses: [], port: HS }]]) })
  t.match(find('server well-known', 'warn'), [{ address: `127.0.0.5:${APEX}`, detail: /^refuses the connection \(.*ECONNREFUSED.*\): remote servers move on/ }])
  t.same(find('server well-known', 'fail'), [])
  t.equal(report.summary.verdict, 'federates with warnings')
})

t.test('a bot filter that answers homeservers otherwise than browsers: ✗ names it', async t => {
  const byAgent = (request: IncomingMessage) => /Mozilla/.test(request.headers['user-agent'] ?? '')
    ? json({ 'm.server': `matrix.example.com:${HS}` })
    : { status: 403, headers: { 'content-type': 'text/html' }, body: '<html>Just a moment…</html>' }
  setUp({ '* /.well-known/matrix/server': byAgent })
  const { report, find } = await check()
  t.match(find('server well-known', 'fail'), [{
    detail: /^a bot filter or WAF blocks homeservers: Synapse\/1\.157\.1 gets 403 text\/html; Go-http-client\/1\.1 gets 403 text\/html; a browser gets 200 with m\.server/,
    fix: /exempt \/\.well-known\/matrix\/\* and the federation port/
  }])
  t.equal(report.summary.verdict, 'does not federate')
})

t.test('redirects: each hop reported, 308 ✓ with a note, another host named; loops, bad and plain-http targets ✗', async t => {
  setUp({ '* /.well-known/matrix/server': { status: 301, headers: { location: '/moved' } }, '* /moved': { status: 308, headers: { location: 'https://other-host.example.com/final' } }, '* /final': json({ 'm.server': `matrix.example.com:${HS}` }) })
  const { report, text } = await check()
  t.equal(report.summary.verdict, 'federates')
  t.match(text, /✓ https:\/\/example\.com\/\.well-known\/matrix\/server redirects \(301\) to https:\/\/example\.com\/moved\n/)
  t.match(text, /✓ https:\/\/example\.com\/moved redirects \(308\) to https:\/\/other-host\.example\.com\/final, another host \(other-host\.example\.com\); homeservers follow 308/)

  const failing: Array<[Record<string, { status: number, headers: Record<string, string> }>, RegExp]> = [
    [{ '* /.well-known/matrix/server': { status: 302, headers: { location: '/.well-known/matrix/server' } } }, /a redirect loop: https:\/\/example\.com\/\.well-known\/matrix\/server redirects back/],
    [Object.fromEntries([0, 1, 2, 3, 4, 5].map(hop => [hop === 0 ? '* /.well-known/matrix/server' : `* /${hop}`, { status: 307, headers: { location: `/${hop + 1}` } }])), /more than 5 redirects/],
    [{ '* /.well-known/matrix/server': { status: 303, headers: { location: 'http://[' } } }, /redirects \(303\) to "http:\/\/\[", which is not a URL/],
    [{ '* /.well-known/matrix/server': { status: 301, headers: { location: 'http://example.com/' } } }, /a redirect leads to http:\/\/example\.com\/, which is not https/]
  ]
  for (const [answers, detail] of failing) {
    setUp(answers)
    const { report, find } = await check()
    t.match(find('server well-known', 'fail'), [{ detail }], String(detail))
    t.equal(report.summary.verdict, 'does not federate')
  }
})

t.test('no well-known: ✓ when the fallback works, ✗ when it does not', async t => {
  setUp({ '* /.well-known/matrix/server': { status: 404, body: 'Not Found' } })
  const works = await check({ name: 'srv.example.com', overrides: new Map([['srv.example.com:443', { addresses: ['127.0.0.1'], port: APEX }], ['matrix.example.com:443', { addresses: [], port: HS }]]) })
  routes.set('* /_matrix/key/v2/server', json(signedKeys('srv.example.com')))
  const fallback = await check({ name: 'srv.example.com', overrides: new Map([['srv.example.com:443', { addresses: ['127.0.0.1'], port: APEX }], ['matrix.example.com:443', { addresses: [], port: HS }]]) })
  t.match(works.text, /server keys\n {2}✗ .*the server says it is "example\.com", not "srv\.example\.com"/)
  t.match(fallback.find('server well-known').slice(1), [{ level: 'ok', detail: /answered 404: not published, so remote servers use SRV records, then port 8448/ }])
  t.match(fallback.text, /✓ SRV _matrix-fed\._tcp\.srv\.example\.com → matrix\.example\.com:\d+ \(priority 10, weight 5\)/)
  t.match(fallback.text, /✓ 127\.0\.0\.1:\d+: TLSv1\.3, certificate for srv\.example\.com/)
  t.equal(fallback.report.summary.verdict, 'federates')

  setUp({ '* /.well-known/matrix/server': { status: 404, body: 'Not Found' } })
  const none = await check()
  t.comment(`no delegation at all:\n${none.text}`)
  t.match(none.find('server well-known', 'fail'), [{ level: 'fail', detail: /answered 404: not published/, fix: /publish \{"m\.server": "<homeserver>:443"\}/ }])
  t.match(none.text, /✓ no SRV record for example\.com: connect to example\.com port 8448/)
  t.match(none.find('TLS'), [{ level: 'fail', address: '127.0.0.5:8448', detail: /^no connection to example\.com: .*ECONNREFUSED/ }])
  t.equal(none.report.summary.verdict, 'does not federate')
})

t.test('a broken well-known is ⚠ when remote servers fall back to something that works, ✗ otherwise', async t => {
  const srvName = { name: 'srv.example.com', overrides: new Map([['srv.example.com:443', { addresses: ['127.0.0.1'], port: APEX }], ['matrix.example.com:443', { addresses: [], port: HS }]]) }
  setUp({ '* /.well-known/matrix/server': { status: 500, body: 'oops' }, '* /_matrix/key/v2/server': json(signedKeys('srv.example.com')) })
  t.match((await check(srvName)).find('server well-known', 'warn'), [{ detail: /answered 500$/ }])
  const broken: Array<[{ status: number, headers?: Record<string, string>, body?: string, cut?: boolean }, RegExp]> = [
    [{ status: 500, body: 'oops' }, /answered 500$/],
    [{ status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>Home</title>' }, /a web page, not JSON: a catch-all route answers/],
    [{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.server": "matrix.example.com:443",}' }, /the body is not valid JSON/],
    [{ status: 200, body: '{"server": "matrix.example.com"}' }, /has no "m\.server" string/],
    [{ status: 200, body: '["matrix.example.com"]' }, /has no "m\.server" string/],
    [{ status: 200, body: '{"m.server": "https://matrix.example.com"}' }, /m\.server "https:\/\/matrix\.example\.com" has a scheme: remove "https:\/\/"/],
    [{ status: 200, body: `{"m.server": "${'x'.repeat(60 * 1024)}"}` }, /failed: the answer is larger than 50 KiB/],
    [{ status: 200, cut: true }, /failed: the answer was cut short/]
  ]
  for (const [answer, detail] of broken) {
    setUp({ '* /.well-known/matrix/server': answer })
    const { report, find } = await check()
    t.match(find('server well-known', 'fail'), [{ detail }], String(detail))
    t.equal(report.summary.verdict, 'does not federate')
  }
  setUp({ '* /.well-known/matrix/server': { status: 200, body: '{"m.server": "https://x"}' }, '* /_matrix/key/v2/server': json(signedKeys('srv.example.com')) })
  const survived = await check(srvName)
  t.match(survived.find('server well-known', 'warn'), [{ detail: /has a scheme/ }])
  t.equal(survived.report.summary.verdict, 'federates with warnings')
  t.match(survived.text, /srv\.example\.com federates, with \d+ warnings?: see ⚠ above\./)
})

t.test('the document: content type ⚠ and the cache period Synapse derives', async t => {
  setUp({ '* /.well-known/matrix/server': { status: 200, body: `{"m.server": "matrix.example.com:${HS}"}` } })
  t.match((await check()).find('server well-known', 'warn'), [{ detail: 'served as no content type: resolvers parse it anyway' }])
  setUp(delegateTo(`matrix.example.com:${HS}`, { 'content-type': 'text/plain' }))
  const plain = await check()
  t.match(plain.find('server well-known', 'warn'), [{ detail: 'served as text/plain: resolvers parse it anyway', fix: 'serve it as application/json' }])
  t.equal(plain.report.summary.verdict, 'federates with warnings')

  const period = async (headers: Record<string, string>) => {
    setUp(delegateTo(`matrix.example.com:${HS}`, headers))
    const found = (await check()).find('server well-known').find(finding => /Synapse caches it/.test(finding.detail))!
    return `${found.level} ${/for ([^(:]+)/.exec(found.detail)![1]!.trim()}`
  }
  t.equal(await period({ 'cache-control': 'no-store' }), 'warn 5 min only')
  t.equal(await period({ 'cache-control': 'max-age=60' }), 'warn 5 min only')
  t.equal(await period({ 'cache-control': 'max-age=999999' }), 'ok 48 h')
  t.equal(await period({ expires: new Date(Date.now() + 2 * 3600_000).toUTCString() }), 'ok 2 h')
  t.equal(await period({ expires: 'soon' }), 'warn 5 min only')
  t.equal(await period({}), 'ok 24 h')
})

t.test('an m.server no remote server can reach is ✗ (⚠ when the fallback works); a private one ⚠', async t => {
  for (const server of ['localhost:443', '127.0.0.1:8448', '[::1]:443', '2130706433:443']) {
    setUp(delegateTo(server))
    t.match((await check()).find('server well-known', 'fail'), [{ detail: new RegExp(`m\\.server "${server.replace(/[[\].]/g, '\\$&')}" has the host .*(loopback|URL parsers)`) }], server)
  }
  setUp(delegateTo(`10.0.0.1:${HS}`))
  // Tests talk to loopback only: the private address is reached on 127.0.0.1.
  const overrides = new Map([...OPTIONS.overrides!, [`10.0.0.1:${HS}`, { addresses: ['127.0.0.1'] }]])
  t.match((await check({ overrides })).find('server well-known', 'warn'), [{ detail: /^10\.0\.0\.1 is a private address: only servers on the same private network can reach it/, fix: /unless the federation is private/ }])
})
