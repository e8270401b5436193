import t from 'tap'
import { matchesIfNoneMatch } from '../../src/routes/well-known.js'
import { EVERYTHING, SERVER_ONLY, build } from '../helper.js'

const SERVER_BODY = '{"m.server":"matrix.example.com:443"}'

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization'
}

const SECURITY = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'cross-origin-resource-policy': 'cross-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY'
}

t.test('GET /.well-known/matrix/server answers the exact document with every header', async t => {
  const app = await build(t)
  const response = await app.inject('/.well-known/matrix/server')
  t.equal(response.statusCode, 200)
  t.equal(response.body, SERVER_BODY)
  t.match(response.headers, {
    'content-type': 'application/json',
    'content-length': String(SERVER_BODY.length),
    'cache-control': 'public, max-age=14400',
    etag: /^"[\w-]{27}"$/,
    ...CORS,
    ...SECURITY
  })
  t.notOk('strict-transport-security' in response.headers, 'no HSTS: the proxy owner decides it for the whole domain')
  t.notOk('x-powered-by' in response.headers)
  t.notOk('location' in response.headers, 'never a redirect')
})

t.test('CACHE_MAX_AGE sets the cache period', async t => {
  const app = await build(t, { ...SERVER_ONLY, CACHE_MAX_AGE: '3600' })
  const response = await app.inject('/.well-known/matrix/server')
  t.equal(response.headers['cache-control'], 'public, max-age=3600')
})

t.test('HEAD answers the headers of GET without a body', async t => {
  const app = await build(t)
  const get = await app.inject('/.well-known/matrix/server')
  const head = await app.inject({ method: 'HEAD', url: '/.well-known/matrix/server' })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.same(head.headers, get.headers)
})

t.test('If-None-Match with the current ETag answers 304 without a body', async t => {
  const app = await build(t)
  const { headers } = await app.inject('/.well-known/matrix/server')
  const etag = String(headers.etag)
  for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*', `"x",W/${etag}`, '"a", *']) {
    const response = await app.inject({ url: '/.well-known/matrix/server', headers: { 'if-none-match': ifNoneMatch } })
    t.equal(response.statusCode, 304, ifNoneMatch)
    t.equal(response.body, '')
    t.match(response.headers, { etag, 'cache-control': 'public, max-age=14400', ...CORS, ...SECURITY })
    t.notOk('content-type' in response.headers)
  }
  const stale = await app.inject({ url: '/.well-known/matrix/server', headers: { 'if-none-match': '"stale"' } })
  t.equal(stale.statusCode, 200)
  t.equal(stale.body, SERVER_BODY)
})

t.test('the ETag depends only on the document', async t => {
  const first = await build(t)
  const second = await build(t)
  const other = await build(t, { MATRIX_SERVER: 'other.example.com:443' })
  const etag = async (app: typeof first) => (await app.inject('/.well-known/matrix/server')).headers.etag
  t.equal(await etag(first), await etag(second), 'replicas agree')
  t.not(await etag(first), await etag(other))
})

t.test('a query string is ignored', async t => {
  const app = await build(t)
  const response = await app.inject('/.well-known/matrix/server?cachebuster=1&x')
  t.equal(response.statusCode, 200)
  t.equal(response.body, SERVER_BODY)
})

t.test('OPTIONS answers the preflight with CORS headers and no body', async t => {
  const app = await build(t)
  for (const url of ['/.well-known/matrix/server', '/.well-known/matrix/client', '/.well-known/matrix/support']) {
    const response = await app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: 'https://app.element.io', 'access-control-request-method': 'GET' }
    })
    t.equal(response.statusCode, 204, url)
    t.equal(response.body, '')
    t.match(response.headers, { ...CORS, 'access-control-max-age': '86400', ...SECURITY })
  }
})

t.test('other methods on a document answer 405 with Allow and CORS', async t => {
  const app = await build(t)
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'TRACE'] as const) {
    const response = await app.inject({ method, url: '/.well-known/matrix/server', payload: method === 'TRACE' ? undefined : 'x' })
    t.equal(response.statusCode, 405, method)
    t.equal(response.headers.allow, 'GET, HEAD, OPTIONS')
    t.match(response.headers, { 'content-type': 'application/json', ...CORS, ...SECURITY })
    t.same(response.json(), { errcode: 'M_UNRECOGNIZED', error: 'Method not allowed: use GET, HEAD, OPTIONS' })
  }
  const json = await app.inject({ method: 'POST', url: '/.well-known/matrix/client', headers: { 'content-type': 'application/json' }, payload: '{' })
  t.equal(json.statusCode, 405, 'a body is never parsed')
})

t.test('a request body above the limit is refused with 413, whatever the method; on a document, other methods get 405 first', async t => {
  const app = await build(t)
  const post = await app.inject({ method: 'POST', url: '/.well-known/matrix/server', payload: 'x'.repeat(2048) })
  t.equal(post.statusCode, 405)
  t.equal(post.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(post.headers.connection, 'close', 'its body is never read')
  const response = await app.inject({ method: 'GET', url: '/.well-known/matrix/server', payload: 'x'.repeat(2048) })
  t.equal(response.statusCode, 413)
  t.same(response.json(), { errcode: 'M_TOO_LARGE', error: 'Payload Too Large' })
  t.match(response.headers, { 'content-type': 'application/json', ...CORS })
})

t.test('a body that does not match its Content-Length is a 400', async t => {
  const app = await build(t)
  const response = await app.inject({
    method: 'PUT',
    url: '/elsewhere',
    headers: { 'content-length': '10' },
    payload: 'abc'
  })
  t.equal(response.statusCode, 400)
  t.same(response.json(), { errcode: 'M_UNRECOGNIZED', error: 'Bad Request' })
})

t.test('unknown paths answer 404 in JSON with CORS', async t => {
  const app = await build(t)
  for (const url of [
    '/',
    '/.well-known/matrix/',
    '/.well-known/matrix/server/',
    '/.well-known/matrix/Server',
    '/.well-known/matrix/policy',
    '/.well-known/openid-configuration',
    '/index.html',
    '/.well-known/matrix/../../etc/passwd'
  ]) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 404, url)
    t.match(response.headers, { 'content-type': 'application/json', ...CORS, ...SECURITY })
    t.same(response.json(), { errcode: 'M_NOT_FOUND', error: 'Not found: this service serves /.well-known/matrix/ only' })
  }
  const post = await app.inject({ method: 'POST', url: '/elsewhere' })
  t.equal(post.statusCode, 404)
})

t.test('a malformed URL escape is a 400 in JSON', async t => {
  const app = await build(t)
  const response = await app.inject('/.well-known/matrix/%zz')
  t.equal(response.statusCode, 400)
  t.match(response.headers, { 'content-type': 'application/json', ...CORS })
  t.same(response.json(), { errcode: 'M_UNRECOGNIZED', error: 'Bad request' })
})

t.test('client and support documents are served exactly like the server document', async t => {
  const app = await build(t, EVERYTHING)
  const server = await app.inject('/.well-known/matrix/server')
  const client = await app.inject('/.well-known/matrix/client')
  const support = await app.inject('/.well-known/matrix/support')
  t.same(client.json(), {
    'm.homeserver': { base_url: 'https://matrix.example.com' },
    'm.identity_server': { base_url: 'https://id.example.com' },
    'org.matrix.msc4143.rtc_foci': [{ type: 'livekit', livekit_service_url: 'https://livekit-jwt.example.com' }],
    'io.element.e2ee': { default: true }
  })
  t.same(support.json(), {
    contacts: [{ role: 'm.role.admin', matrix_id: '@admin:example.com' }],
    support_page: 'https://example.com/support'
  })
  const namesOf = (headers: Record<string, unknown>) => Object.keys(headers).sort()
  for (const [url, response] of [['/.well-known/matrix/client', client], ['/.well-known/matrix/support', support]] as const) {
    t.equal(response.statusCode, 200)
    t.same(namesOf(response.headers), namesOf(server.headers), 'the same header names')
    t.match(response.headers, { 'content-type': 'application/json', 'cache-control': 'public, max-age=14400', ...CORS, ...SECURITY })
    t.not(response.headers.etag, server.headers.etag)
    const revalidated = await app.inject({ url, headers: { 'if-none-match': String(response.headers.etag) } })
    t.equal(revalidated.statusCode, 304)
  }
})

t.test('a document that is not configured answers 404 with CORS, never an empty 200', async t => {
  const clientOnly = await build(t, { MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com' })
  const cases: Array<[string, string]> = [
    ['/.well-known/matrix/server', 'No server delegation is configured here'],
    ['/.well-known/matrix/support', 'No support information is configured here']
  ]
  for (const [url, error] of cases) {
    const response = await clientOnly.inject(url)
    t.equal(response.statusCode, 404, url)
    t.same(response.json(), { errcode: 'M_NOT_FOUND', error })
    t.match(response.headers, { 'content-type': 'application/json', ...CORS, ...SECURITY })
    t.equal(response.headers['cache-control'], 'public, max-age=60', 'a shared cache keeps it a minute at most')
  }
  const serverOnly = await build(t)
  const client = await serverOnly.inject('/.well-known/matrix/client')
  t.equal(client.statusCode, 404)
  t.same(client.json(), { errcode: 'M_NOT_FOUND', error: 'No client discovery information is configured here' })
  t.equal((await serverOnly.inject({ method: 'HEAD', url: '/.well-known/matrix/client' })).statusCode, 404)
})

t.test('while draining, documents are still served but close their connection', async t => {
  const app = await build(t)
  t.not((await app.inject('/.well-known/matrix/server')).headers.connection, 'close')
  app.beginDrain()
  const response = await app.inject('/.well-known/matrix/server')
  t.equal(response.statusCode, 200)
  t.equal(response.body, SERVER_BODY)
  t.equal(response.headers.connection, 'close')
})

t.test('the policy_server document is served like the others, and answers 404 with CORS when no key is set', async t => {
  const key = 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs'
  const app = await build(t, { ...SERVER_ONLY, MATRIX_POLICY_SERVER_ED25519_KEY: key })
  const server = await app.inject('/.well-known/matrix/server')
  const policy = await app.inject('/.well-known/matrix/policy_server')
  t.equal(policy.statusCode, 200)
  t.equal(policy.body, `{"public_keys":{"ed25519":"${key}"}}`)
  t.same(Object.keys(policy.headers).sort(), Object.keys(server.headers).sort(), 'the same header names')
  t.match(policy.headers, { 'content-type': 'application/json', 'cache-control': 'public, max-age=14400', ...CORS, ...SECURITY })
  t.equal((await app.inject({ url: '/.well-known/matrix/policy_server', headers: { 'if-none-match': String(policy.headers.etag) } })).statusCode, 304)
  t.equal((await app.inject({ method: 'OPTIONS', url: '/.well-known/matrix/policy_server' })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: '/.well-known/matrix/policy_server' })).statusCode, 405)

  const without = await build(t)
  const missing = await without.inject('/.well-known/matrix/policy_server')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { errcode: 'M_NOT_FOUND', error: 'No policy server key is configured here' })
  t.match(missing.headers, { 'content-type': 'application/json', ...CORS })
})

t.test('If-None-Match: weak comparison, lists and *', async t => {
  const etag = '"abc"'
  for (const header of [etag, 'W/"abc"', '"x", "abc"', '*', '"x",W/"abc"']) t.ok(matchesIfNoneMatch(header, etag), header)
  for (const header of ['"abcd"', 'abc', '"ABC"', '']) t.notOk(matchesIfNoneMatch(header, etag), header)
})
