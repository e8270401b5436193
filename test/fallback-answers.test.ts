// When no route answers, or Fastify refuses a request itself: a prepared JSON answer.
import t from 'tap'
import { build } from './helper.js'

t.test('no route: 404 elsewhere, 405 on a document path; refusals in the same shape', async t => {
  const app = await build(t)
  const elsewhere = await app.inject('/index.html')
  t.equal(elsewhere.statusCode, 404)
  t.same(elsewhere.json(), { errcode: 'M_NOT_FOUND', error: 'Not found: this service serves /.well-known/matrix/ only' })
  const propfind = await app.inject({ method: 'PROPFIND' as 'GET', url: '/.well-known/matrix/server' })
  t.equal(propfind.statusCode, 405)
  t.equal(propfind.headers.allow, 'GET, HEAD, OPTIONS')
  const query = await app.inject({ method: 'QUERY' as 'GET', url: '/.well-known/matrix/client' })
  t.equal(query.statusCode, 405, 'QUERY without a Content-Type')
  const tooLarge = await app.inject({ method: 'POST', url: '/elsewhere', payload: 'x'.repeat(2048) })
  t.same(tooLarge.json(), { errcode: 'M_TOO_LARGE', error: 'Payload Too Large' })
  t.equal(tooLarge.headers['access-control-allow-origin'], '*')
})
