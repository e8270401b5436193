import t from 'tap'
import { build } from '../helper.js'

t.test('GET /healthz answers 200 while the process runs, draining or not', async t => {
  const app = await build(t)
  for (const phase of ['serving', 'draining']) {
    if (phase === 'draining') app.beginDrain()
    const response = await app.inject('/healthz')
    t.equal(response.statusCode, 200, phase)
    t.same(response.json(), { status: 'ok' })
    t.match(response.headers, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  }
})

t.test('GET /readyz answers 200 until shutdown begins, then 503', async t => {
  const app = await build(t)
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok' })
  app.beginDrain()
  const draining = await app.inject('/readyz')
  t.equal(draining.statusCode, 503)
  t.same(draining.json(), { status: 'draining' })
  t.match(draining.headers, { 'content-type': 'application/json', 'cache-control': 'no-store' })
})
