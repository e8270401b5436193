import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createMetrics } from '../src/metrics.js'
import { documentLabel } from '../src/request-metrics.js'
import { build, EVERYTHING, exchange, until } from './helper.js'

t.test('a request is labelled by its document, probe or other: never by a path a client makes up', async t => {
  const cases: Array<[string, string]> = [
    ['/.well-known/matrix/server', 'server'], ['/.well-known/matrix/client?x=1', 'client'],
    ['/.well-known/matrix/policy_server', 'policy_server'], ['/healthz', 'probe'], ['/readyz?a', 'probe'],
    ['/.well-known/matrix/servers', 'other'], [`/${'x'.repeat(100)}`, 'other'], ['/.well-known/matrix/%73upport', 'support'],
    ['http://example.com/.well-known/matrix/server', 'server'], ['/.well-known/matrix/%zz', 'other'], ['http://example.com', 'other']
  ]
  for (const [url, label] of cases) t.equal(documentLabel(url), label, url)
})

t.test('with metrics on, every answer is counted: routes, refusals, Node\'s parser and node:http, however a document is spelled', async t => {
  const metrics = createMetrics()
  const counted: Array<[string, number]> = []
  const countRequest = (document: string, status: number) => { counted.push([document, status]) }
  const app = await build(t, EVERYTHING, undefined, { metrics: { ...metrics, countRequest } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const requests = [
    'GET /.well-known/matrix/client HTTP/1.1\r\nHost: x\r\n\r\n',
    'OPTIONS /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /.well-known/matrix/%73erver HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
    'GET /.well-known/matrix/server HTTP/1.1\r\nHost: a:b:c\r\n\r\n',
    'GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n',
    'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n',
    'this is not HTTP\r\n\r\n',
    `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`,
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'
  ]
  for (const request of requests) await exchange(port, request.replace(/\r\n\r\n/, '\r\nConnection: close\r\n\r\n'))
  await until(() => counted.length === requests.length, 'every answer to be counted')
  t.same(counted, [
    ['client', 200], ['server', 204], ['server', 200], ['other', 404], ['probe', 200], ['server', 405], ['server', 400],
    ['server', 417], ['other', 400], ['other', 400], ['other', 431], ['other', 405]
  ])
})
