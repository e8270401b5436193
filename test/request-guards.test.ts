// The request guards, over real sockets to the app listening in this process:
// one valid Host, 405 and 413 before any body is read, and which answers close
// their connection.
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { closeUnreadBody } from '../src/request-guards.js'
import { build, exchange } from './helper.js'

async function listening (t: Test): Promise<number> {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

t.test('the body cap holds for every method, before the body is read; a body in chunks is never read', async t => {
  const port = await listening(t)
  // 100 KB announced and sent: refused at once, and the connection closed instead of read to its end.
  const big = await exchange(port, `GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nContent-Length: 102400\r\n\r\n${'x'.repeat(102400)}`)
  t.match(big, /^HTTP\/1\.1 413 Payload Too Large\r\n/)
  t.match(big.toLowerCase(), /\r\nconnection: close\r\n/)
  t.equal((big.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'the body is not read as further requests')
  const small = await exchange(port, 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc')
  t.match(small, /^HTTP\/1\.1 200 OK\r\n/, 'a small body is let through, and dropped')
  const chunked = await exchange(port, 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
  t.match(chunked, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(chunked.toLowerCase(), /\r\nconnection: close\r\n/, 'and the connection closes instead of waiting for the rest')
  const healthz = 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  t.match(await exchange(port, healthz), /^HTTP\/1\.1 200 /, 'still serving')
})

t.test('405 with Allow before any body is read, whatever Content-Type a POST carries', async t => {
  const port = await listening(t)
  for (const type of ['', ';;;', 'application/json', 'multipart/form-data; boundary=']) {
    const response = await exchange(port, `POST /.well-known/matrix/client HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 2\r\n\r\n{}`)
    t.match(response, /^HTTP\/1\.1 405 Method Not Allowed\r\n/, JSON.stringify(type))
    t.match(response.toLowerCase(), /\r\nallow: get, head, options\r\n/, JSON.stringify(type))
  }
  const percent = await exchange(port, 'DELETE /.well-known/matrix/%73erver HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(percent, /^HTTP\/1\.1 405 /, 'a document however its path is spelled')
})

t.test('a Host that is not host[:port], or a second Host wherever it stands, is a 400', async t => {
  const port = await listening(t)
  for (const host of ['a.example:99999', 'a.example:abc', 'a.example:443@b.example', 'a example', 'a.example/x', '[::1', 'a.example:443:1']) {
    const response = await exchange(port, `GET /.well-known/matrix/server HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    t.match(response, /^HTTP\/1\.1 400 /, host)
  }
  // Within the 16 KiB of headers, past the 2,000 lines node:http keeps by default.
  const padding = 'a:1\r\n'.repeat(2500)
  const hidden = await exchange(port, `GET /.well-known/matrix/server HTTP/1.1\r\nHost: a.example\r\n${padding}Host: b.example\r\nConnection: close\r\n\r\n`)
  t.match(hidden, /^HTTP\/1\.1 400 /, 'a second Host after 2,500 other header lines')
  for (const host of ['a.example', 'A.Example.:443', '[2001:db8::1]:8448', '127.0.0.1:8080', 'under_score.example', '']) {
    const response = await exchange(port, `GET /.well-known/matrix/server HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    t.match(response, /^HTTP\/1\.1 200 /, JSON.stringify(host))
  }
})

t.test('the answer to an Upgrade request closes its connection, so that nothing pipelined after it waits for good', async t => {
  const port = await listening(t)
  const pipelined = await exchange(port, 'GET /.well-known/matrix/server HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' +
    'GET /.well-known/matrix/client HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 3000 })
  t.notMatch(pipelined, /\[no close within/, 'the server closes the connection')
  t.match(pipelined, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(pipelined.toLowerCase(), /\r\nconnection: close\r\n/)
})

t.test('an answer given before the body was read closes its connection; one with no body keeps it', async t => {
  const closing = (headers: Record<string, string>) => {
    const set: Record<string, string> = {}
    const response = { setHeader: (name: string, value: string) => { set[name] = value } }
    closeUnreadBody({ headers } as never, response as never)
    return set.connection
  }
  t.equal(closing({ 'content-length': '5' }), 'close')
  t.equal(closing({ 'transfer-encoding': 'chunked' }), 'close')
  t.equal(closing({ 'content-length': '0' }), undefined)
  t.equal(closing({}), undefined)
})
