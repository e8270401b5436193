// Prepared responses on the wire: through Fastify's reply, or as a whole message on a raw socket.
import t from 'tap'
import { FIXED_ANSWERS } from '../src/fixed-answers.js'
import { messageBytes } from '../src/wire.js'
import { build } from './helper.js'

t.test('a whole message for a raw socket ends with Connection: close and the body', async t => {
  const text = messageBytes(FIXED_ANSWERS.badRequest).toString()
  t.match(text, /^HTTP\/1\.1 400 Bad Request\r\ncontent-type: application\/json\r\ncontent-length: \d+\r\n(.+\r\n)*connection: close\r\n\r\n\{"errcode":"M_UNRECOGNIZED","error":"Bad request"\}$/)
  t.match(text, /access-control-allow-origin: \*\r\n/)
  t.match(messageBytes(FIXED_ANSWERS.preflight).toString(), /^HTTP\/1\.1 204 No Content\r\n.*connection: close\r\n\r\n$/s, 'no body, nothing after the headers')
})

t.test('through Fastify: exactly the prepared headers and body, and no body for HEAD', async t => {
  const app = await build(t)
  const get = await app.inject({ url: '/healthz' })
  t.equal(get.statusCode, 200)
  t.equal(get.body, '{"status":"ok"}')
  t.same(Object.keys(get.headers).filter(name => !['date', 'connection', 'keep-alive'].includes(name)),
    FIXED_ANSWERS.healthy.rawHeaders().filter((entry, i) => i % 2 === 0))
  const head = await app.inject({ method: 'HEAD', url: '/healthz' })
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], '15')
})
