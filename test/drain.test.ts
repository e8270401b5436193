// The drain, in-process: what clients see from the moment it begins to the
// moment the app is closed (test/process/drain.test.ts does it under load,
// through SIGTERM).
import { once } from 'node:events'
import { Agent } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import t from 'tap'
import { build, get, until } from './helper.js'

t.test('drainAndClose: ready until it begins, then 503 and closing answers, then no listener, then closed', async t => {
  const lingerMs = 300
  const app = await build(t, undefined, undefined, { limits: { closeLingerMs: lingerMs } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  t.equal((await get(`${url}/readyz`, { agent })).status, 200)

  // A connection that never sends a whole request, and one that stays idle.
  const silent = connect((app.server.address() as AddressInfo).port, '127.0.0.1')
  await once(silent, 'connect')
  silent.write('GET /.well-known/matrix/server HTTP/1.1\r\n')
  let silentClosed = false
  silent.on('close', () => { silentClosed = true })

  const started = Date.now()
  const closed = app.drainAndClose(400)
  const ready = await get(`${url}/readyz`, { agent })
  t.equal(ready.status, 503, '/readyz fails at once')
  const document = await get(`${url}/.well-known/matrix/server`, { agent })
  t.equal(document.status, 200, 'documents are still served')
  t.equal(document.headers.connection, 'close', 'and close their connection')

  await closed
  const elapsed = Date.now() - started
  t.ok(elapsed >= 400, `the drain window is kept (${elapsed} ms)`)
  // Without the linger's end, that connection would hold the listener open for good.
  t.ok(elapsed < 400 + lingerMs + 5000, 'and the linger bounded')
  t.equal(await new Promise(resolve => app.server.getConnections((err, count) => resolve(err ?? count))), 0, 'no connection left once closed')
  await until(() => silentClosed, 'the connection that never finished its request to be closed by the server', 2000)
  t.ok(silentClosed, 'a connection that never finished its request is closed too')
  await t.rejects(get(`${url}/healthz`), { code: 'ECONNREFUSED' }, 'nothing listens any more')
})

t.test('beginDrain alone only changes the answers', async t => {
  const app = await build(t)
  app.beginDrain()
  t.equal((await app.inject('/readyz')).statusCode, 503)
  t.equal((await app.inject('/healthz')).statusCode, 200)
})

t.test('while draining, every answer closes its connection: probes, 404s and refusals too', async t => {
  const app = await build(t)
  app.beginDrain()
  const requests: Array<[string, string]> = [
    ['GET', '/.well-known/matrix/server'], ['GET', '/readyz'], ['GET', '/healthz'], ['GET', '/nowhere'],
    ['POST', '/.well-known/matrix/client'], ['OPTIONS', '/.well-known/matrix/client']
  ]
  for (const [method, url] of requests) {
    const response = await app.inject({ method: method as 'GET', url })
    t.equal(response.headers.connection, 'close', `${method} ${url} (${response.statusCode})`)
  }
})
