// `check` against the loopback world of test/check-world.ts: each verdict a
// remote homeserver would reach, ✓, ⚠ or ✗, and the report's last line.
import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { checkDelegation, GO_AGENT, SYNAPSE_AGENT, type CheckOptions } from '../../src/check/check.js'
import { formatReport, type Finding } from '../../src/check/report.js'
import { APEX, closeWorld, EXPIRING, HS, json, OPTIONS, routes, seen, setUp, signedKeys, TLS11 } from './world.js'
import { main } from '../../src/check/command-line.js'
import { compiled } from '../helper.js'
import { runCli } from '../process/helper.js'
import { CA_FILE, DNS_SERVER } from './world.js'
import { PassThrough } from 'node:stream'

t.teardown(closeWorld)

const check = async (extra: Partial<CheckOptions> = {}) => {
  const report = await checkDelegation({ ...OPTIONS, ...extra })
  return { report, text: formatReport(report), find: (step: string, level?: string) => report.findings.filter((finding: Finding) => finding.step === step && (level === undefined || finding.level === level)) }
}
const delegateTo = (server: string, headers: Record<string, string> = { 'cache-control': 'max-age=14400' }) =>
  ({ '* /.well-known/matrix/server': json({ 'm.server': server }, headers) })

t.test('a working delegation: every step ✓, and the verdict says it federates', async t => {
  setUp()
  const { report, text } = await check()
  t.comment(`passing setup:\n${text}`)
  t.same(report.findings.filter(finding => finding.level !== 'ok'), [])
  t.match(report.summary, { verdict: 'federates', failures: 0, warnings: 0 })
  t.equal(report.federates, true)
  t.match(text, /^server well-known\n {2}✓ homeservers \(Synapse\/1\.157\.1, Go-http-client\/1\.1\) and a browser get the same answer\n {2}✓ 200, application\/json, CORS; m\.server = matrix\.example\.com:\d+\n {2}✓ Synapse caches it for 4 h\n/)
  t.match(text, /resolve\n {2}✓ matrix\.example\.com:\d+ has a port: no SRV lookup/)
  t.match(text, /TLS\n {2}✓ 127\.0\.0\.1:\d+: TLSv1\.3, certificate for matrix\.example\.com, valid until \d{4}-/)
  t.match(text, /server keys\n {2}✓ 127\.0\.0\.1:\d+: example\.com signs with ed25519:a1, valid until/)
  t.match(text, /server version\n {2}✓ Synapse 1\.157\.1/)
  t.match(text, /client well-known\n {2}✓ 200, m\.homeserver\.base_url = https:\/\/matrix\.example\.com\n {2}✓ https:\/\/matrix\.example\.com\/_matrix\/client\/versions answers: v1\.12 and older/)
  t.match(text, /support well-known\n {2}✓ not published\n/)
  t.match(text, /example\.com federates: remote servers reach a server that proves it is example\.com\.\n$/)
  const wellKnown = seen.filter(request => request.url === '/.well-known/matrix/server')
  t.same(wellKnown.map(request => request.headers['user-agent']).sort(), [GO_AGENT, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36', SYNAPSE_AGENT].sort())
  t.ok(wellKnown.every(request => request.headers.host === 'example.com'), 'Host is the server name')
  const keys = seen.find(request => request.url === '/_matrix/key/v2/server')
  t.equal(keys?.headers.host, `matrix.example.com:${HS}`, 'the key request carries the Host the spec prescribes')
})

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

t.test('IP literals and explicit ports skip the well-known, as the spec says', async t => {
  setUp({ '* /_matrix/key/v2/server': json(signedKeys(`127.0.0.1:${HS}`)) })
  const ip = await check({ name: `127.0.0.1:${HS}` })
  t.same([...new Set(ip.report.findings.map(finding => finding.step))], ['resolve', 'TLS'], 'no well-known, no client files')
  t.match(ip.text, /✓ 127\.0\.0\.1:\d+ is an IP address: connect to port \d+/)
  const defaultPort = await check({ name: '127.0.0.1', overrides: new Map([['127.0.0.1:8448', { addresses: ['127.0.0.5'] }]]) })
  t.match(defaultPort.text, /✓ 127\.0\.0\.1 is an IP address: connect to port 8448\n/)
  t.match(defaultPort.find('TLS', 'fail'), [{ address: '127.0.0.5:8448' }])
  const nowhere = await check({ name: 'nowhere.example.com:8448' })
  t.match(nowhere.find('resolve', 'fail'), [{ detail: 'nowhere.example.com has no A or AAAA record' }])
  t.match(nowhere.find('client well-known', 'warn'), [{ detail: /nowhere\.example\.com has no A or AAAA record/ }])
  t.match(await checkDelegation({ name: 'bad name' }), { summary: { verdict: 'does not federate' }, findings: [{ step: 'server name', detail: '"bad name" contains whitespace' }] }, 'with no options but the name')
  const invalid = await check({ name: 'https://example.com' })
  t.match(invalid.text, /^server name\n {2}✗ "https:\/\/example\.com" has a scheme/)
  t.equal(invalid.report.summary.verdict, 'does not federate')
  const refused = await check({ name: 'down.example.com' })
  t.match(refused.find('server well-known', 'fail'), [{ detail: /GET https:\/\/down\.example\.com\/\.well-known\/matrix\/server failed: .*ECONNREFUSED/ }])
  const noApex = await check({ name: 'missing.example.com' })
  t.match(noApex.find('server well-known', 'fail'), [{ detail: /missing\.example\.com has no A or AAAA record: remote servers cannot fetch/ }])
})

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

t.test('bounded: a body that drips past the deadline ends the request, and the check still reports', async t => {
  setUp({ '* /.well-known/matrix/server': { status: 200, drip: true } })
  const started = Date.now()
  const { find } = await check({ timeoutMs: 1000 })
  t.match(find('server well-known', 'fail'), [{ detail: /failed: no whole answer within 1 s/ }])
  t.ok(Date.now() - started < 8000, 'requests run in parallel under their own deadline')
})

t.test('the command line: exit 0 with warnings, 1 with --strict or a failure, --json with the documented fields', async t => {
  setUp({ '* /.well-known/matrix/client': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' } })
  const common = ['--dns-server', DNS_SERVER, '--ca-file', CA_FILE, '--connect-to', `example.com:443::${APEX}`, '--resolve', `matrix.example.com:${HS}:127.0.0.1`, '--connect-to', `matrix.example.com:443::${HS}`, '--timeout', '3']
  const [lenient, strict] = await Promise.all([runCli(['check', 'example.com', ...common]), runCli(['check', 'example.com', '--json', '--strict', ...common])])
  t.equal(lenient.code, 0, lenient.err)
  t.match(lenient.out, /⚠ no Access-Control-Allow-Origin header/)
  t.match(lenient.out, /example\.com federates, with 1 warning: see ⚠ above\.\n$/)
  t.equal(strict.code, 1, '--strict fails on a warning')
  const report = JSON.parse(strict.out)
  t.match(report, { name: 'example.com', federates: true, summary: { verdict: 'federates with warnings', failures: 0, warnings: 1, failingAddresses: [], text: String }, findings: Array })
  for (const finding of report.findings) {
    t.same(Object.keys(finding).filter(key => !['step', 'level', 'address', 'detail', 'fix'].includes(key)), [], 'only the documented fields')
  }

  setUp(delegateTo('https://matrix.example.com'))
  const failing = await runCli(['check', 'example.com', ...common.slice(0, -2)])
  t.equal(failing.code, 1, 'with the default timeout too')
  t.match(failing.out, /fix: m\.server has a scheme/)
})

t.test('the command line reads curl-style address lists, bracketed IPv6 and kept addresses', async t => {
  setUp({}, 'multi.example.com')
  const out = new PassThrough()
  const err = new PassThrough()
  const code = await main(['check', 'multi.example.com', '--dns-server', DNS_SERVER, '--ca-file', CA_FILE,
    '--resolve', 'multi.example.com:443:127.0.0.1,[::1]', '--connect-to', `multi.example.com:443::${APEX}`,
    '--connect-to', `matrix.example.com:${HS}:[::1]:${HS}`, '--connect-to', `matrix.example.com:${HS}:127.0.0.1:`, '--connect-to', 'unused.example.com:443:127.0.0.1:'], out, err)
  const text = String(out.read())
  t.match(text, new RegExp(`✓ the same answer from each address: 127\\.0\\.0\\.1:${APEX}, \\[::1\\]:${APEX}\\n`), 'both --resolve addresses, on the --connect-to port')
  t.match(text, new RegExp(`✓ 127\\.0\\.0\\.1:${HS}: TLSv1\\.3`), 'the last mapping of a host:port wins')
  t.equal(code, 0, String(err.read()))
})

t.test('an address this machine has no route to is not checked, and says nothing about the server', async t => {
  const network = await import('../../src/check/network.js')
  // Connecting to 2001:db8::9 fails here as on a host without IPv6, with no packet sent.
  class NoIpv6 extends network.Network {
    override exchange (outgoing: Parameters<InstanceType<typeof network.Network>['exchange']>[0]) {
      return outgoing.endpoint.address === '2001:db8::9'
        ? Promise.reject(new network.ExchangeError('connect ENETUNREACH 2001:db8::9', false, true))
        : super.exchange(outgoing)
    }
  }
  const { checkDelegation: checkHere } = await t.mockImport<typeof import('../../src/check/check.js')>(compiled('src/check/check.js'), { [compiled('src/check/network.js')]: { ...network, Network: NoIpv6 } })
  setUp({ ...delegateTo(`noroute.example.com:${HS}`), '* /_matrix/key/v2/server': json(signedKeys('noroute.example.com')) }, 'noroute.example.com')
  const report = await checkHere({ ...OPTIONS, name: 'noroute.example.com', overrides: new Map([['noroute.example.com:443', { addresses: [], port: APEX }], ['matrix.example.com:443', { addresses: [], port: HS }]]) })
  t.match(report.findings.filter(finding => finding.address?.startsWith('[2001:db8::9]')), [
    { step: 'server well-known', level: 'ok', detail: /^not checked: no route from this machine \(.*ENETUNREACH/ },
    { step: 'TLS', level: 'ok', detail: /^not checked: no route from this machine to noroute\.example\.com \(connect ENETUNREACH/ }
  ])
  t.equal(report.summary.verdict, 'federates', JSON.stringify(report.findings.filter(finding => finding.level !== 'ok')))
  t.equal(network.isNoRoute(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' })), true)
  t.equal(network.isNoRoute(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false)
})
