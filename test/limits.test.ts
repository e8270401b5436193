// The server's limits and the raw answers to what Node's parser refuses, over
// real sockets to the app listening in this process.
import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { SERVER_LIMITS } from '../src/limits.js'
import { build, exchange, until } from './helper.js'

async function listening (app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

async function stillServes (t: Test, port: number) {
  const fine = await exchange(port, 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(fine, /^HTTP\/1\.1 200 OK\r\n.*\{"m.server":"matrix.example.com:443"\}$/s, 'the server keeps serving')
}

t.test('production limits: 10 s for the headers and for the whole request, 16 KiB of headers, 1 KiB of body', async t => {
  t.match(SERVER_LIMITS,
    { headersTimeout: 10_000, requestTimeout: 10_000, maxHeaderSize: 16_384, bodyLimit: 1024, keepAliveTimeout: 72_000 }
  )
})

t.test('requests Node cannot parse get a JSON 4xx and the server keeps serving', async t => {
  const port = await listening(await build(t))
  const garbage = await exchange(port, 'this is not HTTP\r\n\r\n')
  t.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\ncontent-type: application\/json\r\n.*connection: close\r\n\r\n\{"errcode":"M_UNRECOGNIZED","error":"Bad Request"\}$/s)

  const huge = await exchange(port, `GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(huge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n.*\{"errcode":"M_UNRECOGNIZED","error":"Request Header Fields Too Large"\}$/s)

  // A client that resets mid-request leaves nothing to answer.
  const reset = connect(port, '127.0.0.1')
  await once(reset, 'connect')
  reset.write('GET /.well-known/matrix/server HTTP/1.1\r\nHost:')
  await sleep(20)
  reset.resetAndDestroy()
  await sleep(20)
  await stillServes(t, port)
})

t.test('300 connections that never finish their headers neither delay others nor stay open', async t => {
  // Production's 10 s headers timeout, scaled down so that the test does not wait it out.
  const headersTimeout = 1000
  const limits = { headersTimeout, requestTimeout: headersTimeout, connectionsCheckingInterval: 100 }
  const app = await build(t, undefined, undefined, { limits })
  const port = await listening(app)
  const slow: Socket[] = []
  const answers: string[] = []
  const closedAt: number[] = []
  const opened = Date.now()
  for (let i = 0; i < 300; i++) {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.setEncoding('latin1')
    socket.on('data', chunk => answers.push(String(chunk)))
    socket.on('close', () => closedAt.push(Date.now() - opened))
    socket.write(i % 2 === 0 ? 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: exa' : 'G')
    slow.push(socket)
  }
  await Promise.all(slow.map(socket => once(socket, 'connect').catch(() => {})))

  await stillServes(t, port)
  t.equal(closedAt.length, 0, 'a normal request is answered while all of them are still open, not after')

  // Headers timeout plus the interval at which Node checks it.
  await until(() => closedAt.length === slow.length, 'the server to close every slow connection', headersTimeout * 5)
  t.equal(closedAt.length, 300, 'the server closed every one of them')
  t.ok(Math.min(...closedAt) >= headersTimeout * 0.9, 'not before the headers timeout')
  t.comment(`slow clients closed between ${Math.min(...closedAt)} and ${Math.max(...closedAt)} ms`)
  t.ok(answers.join('').includes('HTTP/1.1 408 Request Timeout'), 'with a 408 where a request had begun')
  await stillServes(t, port)
})

t.test('every answer is JSON with CORS, whatever refuses the request: Node\'s parser, node:http or Fastify', async t => {
  const port = await listening(await build(t))
  const answer = async (request: string) => {
    const text = await exchange(port, request)
    const [head = '', body = ''] = text.split('\r\n\r\n')
    return { status: Number(head.slice(9, 12)), head: head.toLowerCase(), body }
  }
  const cases: Array<[string, string, number, string]> = [
    ['malformed request line', 'this is not HTTP\r\n\r\n', 400, 'M_UNRECOGNIZED'],
    ['headers too large', `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'M_UNRECOGNIZED'],
    ['HTTP/1.1 without Host', 'GET /.well-known/matrix/server HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'M_UNRECOGNIZED'],
    ['an unknown Expect', 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n', 417, 'M_UNRECOGNIZED'],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'M_UNRECOGNIZED'],
    ['PROPFIND on a document', 'PROPFIND /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405, 'M_UNRECOGNIZED'],
    ['LINK on a document', 'LINK /.well-known/matrix/client?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405, 'M_UNRECOGNIZED'],
    ['QUERY without a type', 'QUERY /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 405, 'M_UNRECOGNIZED'],
    ['QUERY with a type', 'QUERY /.well-known/matrix/support HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx', 405, 'M_UNRECOGNIZED'],
    ['PROPFIND elsewhere', 'PROPFIND /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'M_NOT_FOUND'],
    ['a body too large', `GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nConnection: close\r\n\r\n${'x'.repeat(2048)}`, 413, 'M_TOO_LARGE'],
    ['a body too large elsewhere', `POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n${'x'.repeat(2048)}`, 413, 'M_TOO_LARGE'],
    ['POST with a body on a document', `POST /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n${'x'.repeat(2048)}`, 405, 'M_UNRECOGNIZED'],
    ['an invalid Host', 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: a.example:99999\r\nConnection: close\r\n\r\n', 400, 'M_UNRECOGNIZED']
  ]
  for (const [what, request, status, errcode] of cases) {
    const response = await answer(request)
    t.equal(response.status, status, what)
    t.match(response.head, /\r\ncontent-type: application\/json\r\n/, `${what}: JSON`)
    t.match(response.head, /\r\naccess-control-allow-origin: \*\r\n/, `${what}: CORS`)
    t.equal(JSON.parse(response.body).errcode, errcode, what)
    if (status === 405) t.match(response.head, /\r\nallow: get, head, options\r\n/, `${what}: Allow`)
  }
  const http10 = await answer('GET /.well-known/matrix/server HTTP/1.0\r\n\r\n')
  t.equal(http10.status, 200, 'HTTP/1.0 may leave Host out')
  await stillServes(t, port)
})
