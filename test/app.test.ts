// buildApp: a ready Fastify instance from a Config, with no I/O of its own.
import t from 'tap'
import { buildApp } from '../src/app.js'
import { createLogger } from '../src/logger.js'
import { PROVIDER, tempFile } from './fixtures.js'
import { Captured, configFrom, EVERYTHING } from './helper.js'

t.test('is ready and answers, but does not listen', async t => {
  const app = await buildApp(configFrom(EVERYTHING), { log: createLogger('silent') })
  t.teardown(() => app.close())
  t.equal(app.server.listening, false)
  const routes = app.printRoutes({ commonPrefix: false })
  for (const path of ['/.well-known/matrix/server', '/.well-known/matrix/client', '/.well-known/matrix/support', '/.well-known/matrix/policy_server', '/healthz', '/readyz']) {
    t.match(routes, path)
  }
  t.equal((await app.inject({ url: '/.well-known/matrix/server', headers: { host: 'example.com' } })).statusCode, 200)
})

t.test('logs nothing of its own while building, and makes a logger when given none', async t => {
  const logs = new Captured()
  const app = await buildApp(configFrom(EVERYTHING), { log: createLogger('trace', logs) })
  await app.close()
  t.equal(logs.text, '')
  const withDefault = await buildApp(configFrom({ ...EVERYTHING, LOG_LEVEL: 'silent' }))
  t.teardown(() => withDefault.close())
  t.equal((await withDefault.inject({ url: '/healthz' })).statusCode, 200)
})

t.test('multi-domain mode: replaceHosts swaps every host\'s documents at once', async t => {
  const app = await buildApp(configFrom({ MATRIX_DOMAINS_FILE: tempFile(t, 'domains.json', PROVIDER) }), { log: createLogger('silent') })
  t.teardown(() => app.close())
  const server = (host: string) => app.inject({ url: '/.well-known/matrix/server', headers: { host } })
  t.equal((await server('example.com')).statusCode, 200)
  await app.replaceHosts(new Map([['example.net', { server: '{"m.server":"matrix.example.net:443"}' }]]))
  t.equal((await server('example.com')).statusCode, 404)
  t.equal((await server('example.net')).body, '{"m.server":"matrix.example.net:443"}')
  t.equal((await server('example.net')).headers.vary, 'Host')
})
