// Which host a request names: its key in the host table, the authority of an
// absolute-form target, X-Forwarded-Host only when trusted, and exactly one Host.
import type { FastifyRequest } from 'fastify'
import t from 'tap'
import { hasValidHost, hostKey, requestHost } from '../src/request-host.js'

t.test('a request Host becomes a key: lower case, no port, no trailing dot', async t => {
  const cases: Array<[string | undefined, string]> = [
    ['example.com', 'example.com'], ['EXAMPLE.com:8080', 'example.com'], ['example.com.', 'example.com'],
    ['Example.COM.:443', 'example.com'], ['[2001:DB8::1]:443', '[2001:db8::1]'], ['[::1]', '[::1]'], ['', ''], [undefined, '']
  ]
  for (const [host, key] of cases) t.equal(hostKey(host), key, String(host))
})

t.test('the host a request is for: an absolute-form target wins, X-Forwarded-Host only when trusted', async t => {
  const request = (url: string, host: string | undefined, forwarded: string) =>
    ({ raw: { url }, headers: { host }, host: forwarded }) as unknown as FastifyRequest
  t.equal(requestHost(request('/.well-known/matrix/server', 'example.com', 'forged.example'), false), 'example.com')
  t.equal(requestHost(request('/.well-known/matrix/server', 'example.com', 'proxy.example'), true), 'proxy.example')
  t.equal(requestHost(request('http://other.example:8080/.well-known/matrix/server', 'example.com', 'x'), false), 'other.example:8080')
  t.equal(requestHost(request('/x', undefined, ''), false), undefined)
})

t.test('exactly one Host in HTTP/1.1, at most one in HTTP/1.0, whatever its case', async t => {
  t.ok(hasValidHost(['Host', 'a'], '1.1'))
  t.ok(hasValidHost(['HOST', 'a', 'Accept', '*/*'], '1.1'))
  t.notOk(hasValidHost([], '1.1'))
  t.ok(hasValidHost([], '1.0'))
  t.notOk(hasValidHost(['host', 'a', 'hoSt', 'b'], '1.0'))
  t.notOk(hasValidHost(['Host', 'a', 'X-Host', 'b', 'host', 'a'], '1.1'))
})
