import t from 'tap'
import { Captured, SERVER_ONLY, build } from './helper.js'

t.test('LOG_REQUESTS=true logs one line per request with what an admin needs', async t => {
  const logs = new Captured()
  const app = await build(t, { ...SERVER_ONLY, LOG_REQUESTS: 'true' }, logs)
  await app.inject({ url: '/.well-known/matrix/server?x=1', remoteAddress: '192.0.2.7' })
  await app.inject('/nowhere')
  const requests = logs.lines.filter(line => line.msg === 'request')
  t.equal(requests.length, 2, 'one line each, not two')
  t.match(requests[0], {
    level: 30,
    method: 'GET',
    path: '/.well-known/matrix/server?x=1',
    status: 200,
    responseTime: Number,
    remoteAddress: '192.0.2.7'
  })
  t.notOk('reqId' in requests[0]!)
  t.match(requests[1], { path: '/nowhere', status: 404 })
  t.match(requests[0]!.time, /^\d{4}-\d\d-\d\dT/, 'ISO timestamps')
})

t.test('probes are logged at debug only', async t => {
  const info = new Captured()
  const infoApp = await build(t, { ...SERVER_ONLY, LOG_REQUESTS: 'true' }, info)
  await infoApp.inject('/healthz')
  await infoApp.inject('/readyz')
  t.same(info.lines.filter(line => line.msg === 'request'), [])

  const debug = new Captured()
  const debugApp = await build(t, { ...SERVER_ONLY, LOG_REQUESTS: 'true', LOG_LEVEL: 'debug' }, debug)
  await debugApp.inject('/healthz')
  t.match(debug.lines.filter(line => line.msg === 'request'), [{ level: 20, path: '/healthz', status: 200 }])
})

t.test('requests are not logged by default', async t => {
  const logs = new Captured()
  const app = await build(t, { ...SERVER_ONLY, LOG_LEVEL: 'trace' }, logs)
  await app.inject('/.well-known/matrix/server')
  await app.inject('/nowhere')
  t.same(logs.lines.filter(line => line.msg === 'request' || line.msg === 'incoming request' || line.msg === 'request completed'), [])
})

t.test('TRUST_PROXY decides which client address is logged', async t => {
  const forwarded = { 'x-forwarded-for': '203.0.113.9' }
  const trusting = new Captured()
  const trustingApp = await build(t, { ...SERVER_ONLY, LOG_REQUESTS: 'true', TRUST_PROXY: '127.0.0.1' }, trusting)
  await trustingApp.inject({ url: '/.well-known/matrix/server', headers: forwarded, remoteAddress: '127.0.0.1' })
  t.match(trusting.lines.find(line => line.msg === 'request'), { remoteAddress: '203.0.113.9' })

  const wary = new Captured()
  const waryApp = await build(t, { ...SERVER_ONLY, LOG_REQUESTS: 'true' }, wary)
  await waryApp.inject({ url: '/.well-known/matrix/server', headers: forwarded, remoteAddress: '127.0.0.1' })
  t.match(wary.lines.find(line => line.msg === 'request'), { remoteAddress: '127.0.0.1' })
})
