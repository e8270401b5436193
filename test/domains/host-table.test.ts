// Multi-domain mode: each request gets the documents of the host it names, and
// nobody else's.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createHostTable } from '../../src/domains/host-table.js'
import { documentPreparer } from '../../src/responses.js'
import { PROVIDER, tempFile } from '../fixtures.js'
import { build, exchange } from '../helper.js'

t.test('answers each host with its own documents, and unknown hosts with 404', async t => {
  const file = tempFile(t, 'domains.json', PROVIDER)
  const app = await build(t, { MATRIX_DOMAINS_FILE: file })
  const get = (url: string, host: string, headers = {}) => app.inject({ url, headers: { host, ...headers } })
  for (const host of ['example.com', 'EXAMPLE.COM', 'example.com:443', 'example.com.', 'Example.Com.:8443']) {
    const response = await get('/.well-known/matrix/server', host)
    t.equal(response.body, '{"m.server":"matrix.example.com:443"}', host)
    t.equal(response.headers['access-control-allow-origin'], '*')
  }
  t.equal((await get('/.well-known/matrix/server', 'example.org')).body, '{"m.server":"matrix.example.org:8448"}')
  t.equal((await get('/.well-known/matrix/client', 'chat.example.net')).json()['m.homeserver'].base_url, 'https://hs.example.net/')
  t.equal((await get('/.well-known/matrix/support', '[2001:db8::1]:443')).json().support_page, 'https://example.net/help')

  t.equal((await get('/.well-known/matrix/policy_server', 'example.org')).json().public_keys.ed25519, 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs')
  t.equal((await get('/.well-known/matrix/policy_server', 'example.com')).statusCode, 404)
  const missingDocument = await get('/.well-known/matrix/client', 'example.org')
  t.equal(missingDocument.statusCode, 404)
  t.same(missingDocument.json(), { errcode: 'M_NOT_FOUND', error: 'No client discovery information is configured here' })

  for (const host of ['other.example', 'matrix.example.com', 'com', '']) {
    const response = await get('/.well-known/matrix/server', host)
    t.equal(response.statusCode, 404, `unknown host ${JSON.stringify(host)}`)
    t.same(response.json(), { errcode: 'M_NOT_FOUND', error: 'No delegation is configured for this host' })
    t.equal(response.headers['access-control-allow-origin'], '*')
  }
  t.equal((await get('/.well-known/matrix/server', 'example.com', { 'x-forwarded-host': 'example.org' })).body,
    '{"m.server":"matrix.example.com:443"}', 'X-Forwarded-Host is ignored from an untrusted peer')

  await app.replaceHosts(new Map([['example.org', { server: '{"m.server":"moved.example.org:443"}' }]]))
  t.equal((await get('/.well-known/matrix/server', 'example.org')).body, '{"m.server":"moved.example.org:443"}', 'a new set is swapped in')
  t.equal((await get('/.well-known/matrix/server', 'example.com')).statusCode, 404, 'hosts left out of the new set are gone')
})

t.test('X-Forwarded-Host picks the documents only from a trusted proxy that says it overwrites it', async t => {
  const file = tempFile(t, 'domains.json', PROVIDER)
  const forwarded = { url: '/.well-known/matrix/server', remoteAddress: '127.0.0.1', headers: { host: 'example.com', 'x-forwarded-host': 'example.org' } }

  const trustingProxy = await build(t, { MATRIX_DOMAINS_FILE: file, TRUST_PROXY: '127.0.0.1' })
  const ignored = await trustingProxy.inject(forwarded)
  t.equal(ignored.body, '{"m.server":"matrix.example.com:443"}', 'TRUST_PROXY alone: the client cannot choose another customer')
  t.equal(ignored.headers.vary, 'Host')

  const overwriting = await build(t, { MATRIX_DOMAINS_FILE: file, TRUST_PROXY: '127.0.0.1', TRUST_FORWARDED_HOST: 'true' })
  const chosen = await overwriting.inject(forwarded)
  t.equal(chosen.body, '{"m.server":"matrix.example.org:8448"}')
  t.equal(chosen.headers.vary, 'Host, X-Forwarded-Host')
  const untrustedPeer = await overwriting.inject({ ...forwarded, remoteAddress: '192.0.2.7' })
  t.equal(untrustedPeer.body, '{"m.server":"matrix.example.com:443"}', 'not from a peer outside TRUST_PROXY')
})

t.test('multi-domain answers vary by Host, the 404s included; single-domain ones do not', async t => {
  const multi = await build(t, { MATRIX_DOMAINS_FILE: tempFile(t, 'domains.json', PROVIDER) })
  for (const [host, path, status] of [['example.com', 'server', 200], ['example.org', 'client', 404], ['other.example', 'server', 404]] as const) {
    const response = await multi.inject({ url: `/.well-known/matrix/${path}`, headers: { host } })
    t.equal(response.statusCode, status, `${host} ${path}`)
    t.equal(response.headers.vary, 'Host', `${host} ${path}`)
  }
  const revalidated = await multi.inject({ url: '/.well-known/matrix/server', headers: { host: 'example.com', 'if-none-match': '*' } })
  t.equal(revalidated.statusCode, 304)
  t.equal(revalidated.headers.vary, 'Host')
  const single = await build(t)
  t.notOk('vary' in (await single.inject('/.well-known/matrix/server')).headers)
})

t.test('the target\'s own authority wins over Host, and two Host headers are refused', async t => {
  const app = await build(t, { MATRIX_DOMAINS_FILE: tempFile(t, 'domains.json', PROVIDER) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const absolute = await exchange(port, 'GET http://Example.org:443/.well-known/matrix/server HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n')
  t.match(absolute, /\r\n\r\n\{"m\.server":"matrix\.example\.org:8448"\}$/, 'RFC 9112 §3.2.2: the absolute-form target names the host')
  const unknown = await exchange(port, 'GET http://other.example/.well-known/matrix/server HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n')
  t.match(unknown, /^HTTP\/1\.1 404 .*No delegation is configured for this host/s)
  const twoHosts = await exchange(port, 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: example.com\r\nHost: example.org\r\nConnection: close\r\n\r\n')
  t.match(twoHosts, /^HTTP\/1\.1 400 Bad Request\r\n.*\{"errcode":"M_UNRECOGNIZED","error":"Bad request"\}$/s)
})

t.test('two Host headers are refused in single-domain mode too', async t => {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const twoHosts = await exchange((app.server.address() as AddressInfo).port, 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\nConnection: close\r\n\r\n')
  t.match(twoHosts, /^HTTP\/1\.1 400 Bad Request\r\n/)
})

t.test('a reload prepares only the hosts whose documents changed; the others keep what they had', async t => {
  const prepareDocuments = documentPreparer(600, 'Host')
  let prepared = 0
  const counting: typeof prepareDocuments = bodies => { prepared++; return prepareDocuments(bodies) }
  const server = (name: string) => ({ server: `{"m.server":"${name}:443"}` })
  const table = createHostTable(counting, new Map([['a.example', server('a')], ['b.example', server('b')], ['c.example', server('c')]]))
  t.equal(prepared, 3)
  const [a, b] = [table.lookup('a.example'), table.lookup('b.example')]
  await table.replace(new Map([['a.example', server('a')], ['b.example', server('b2')], ['d.example', server('d')]]))
  t.equal(prepared, 5, 'b changed and d is new: two more, not three')
  t.equal(table.lookup('a.example'), a, 'a keeps its prepared documents')
  t.not(table.lookup('b.example'), b)
  t.equal(table.lookup('b.example')!.server!.body.toString(), '{"m.server":"b2:443"}')
  t.equal(table.lookup('c.example'), undefined, 'c is gone')
  await table.replace(new Map([['b.example', server('b2')], ['c.example', server('c')]]))
  t.equal(prepared, 6, 'compared with the set just swapped in: b is kept, c is new again')
})

t.test('a large new set is prepared a slice at a time, answers go on meanwhile, then it is swapped in whole', async t => {
  const app = await build(t, { MATRIX_DOMAINS_FILE: tempFile(t, 'domains.json', PROVIDER) })
  const next = new Map(Array.from({ length: 3500 }, (_, i) => [`h${i}.example`, { server: `{"m.server":"m${i}.example:443"}` }]))
  const replaced = app.replaceHosts(next)
  let answeredMeanwhile = 0
  let done = false
  replaced.then(() => { done = true }, () => {})
  const stillPreparing = () => !done
  while (stillPreparing()) {
    // A macrotask turn, as between two requests from the network.
    await new Promise(resolve => setImmediate(resolve))
    const response = await app.inject({ url: '/.well-known/matrix/server', headers: { host: 'example.com' } })
    if (!done) {
      t.equal(response.statusCode, 200, 'the old set until the swap')
      answeredMeanwhile++
    }
  }
  t.ok(answeredMeanwhile > 0, `${answeredMeanwhile} requests answered while it was prepared`)
  t.equal((await app.inject({ url: '/.well-known/matrix/server', headers: { host: 'h3499.example' } })).body, '{"m.server":"m3499.example:443"}')
  t.equal((await app.inject({ url: '/.well-known/matrix/server', headers: { host: 'example.com' } })).statusCode, 404)
})
