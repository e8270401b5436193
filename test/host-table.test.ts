// Multi-domain mode: each request gets the documents of the host it names, and
// nobody else's.
import t from 'tap'
import { hostKey } from '../src/host-table.js'
import { PROVIDER, tempFile } from './fixtures.js'
import { build } from './helper.js'

t.test('a request Host becomes a key: lower case, no port, no trailing dot', async t => {
  const cases: Array<[string | undefined, string]> = [
    ['example.com', 'example.com'], ['EXAMPLE.com:8080', 'example.com'], ['example.com.', 'example.com'],
    ['Example.COM.:443', 'example.com'], ['[2001:DB8::1]:443', '[2001:db8::1]'], ['[::1]', '[::1]'], ['', ''], [undefined, '']
  ]
  for (const [host, key] of cases) t.equal(hostKey(host), key, String(host))
})

t.test('answers each host with its own documents, and unknown hosts with 404', async t => {
  const file = tempFile('domains.json', PROVIDER)
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

  app.replaceHosts(new Map([['example.org', { server: '{"m.server":"moved.example.org:443"}' }]]))
  t.equal((await get('/.well-known/matrix/server', 'example.org')).body, '{"m.server":"moved.example.org:443"}', 'a new set is swapped in')
  t.equal((await get('/.well-known/matrix/server', 'example.com')).statusCode, 404, 'hosts left out of the new set are gone')
})

t.test('behind a trusted proxy, X-Forwarded-Host picks the documents', async t => {
  const file = tempFile('domains.json', PROVIDER)
  const app = await build(t, { MATRIX_DOMAINS_FILE: file, TRUST_PROXY: '127.0.0.1' })
  const response = await app.inject({ url: '/.well-known/matrix/server', remoteAddress: '127.0.0.1', headers: { host: 'internal:8080', 'x-forwarded-host': 'example.org' } })
  t.equal(response.body, '{"m.server":"matrix.example.org:8448"}')
})
