// SIGTERM, SIGINT and unexpected errors against the running process, under load:
// what every client sees while the server drains and stops.
import { once } from 'node:events'
import { Agent } from 'node:http'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { get, PROJECT } from '../helper.js'
import { start } from './helper.js'

const SERVER = { MATRIX_SERVER: 'matrix.example.com:443' }

const BODY = '{"m.server":"matrix.example.com:443"}'

/**
 * Keeps `connections` keep-alive clients busy until the server refuses them (or,
 * when `followReadiness` is set, until /readyz fails, as a load balancer does),
 * then reports what every request came to.
 */
async function loadThroughShutdown (t: Test, connections: number, followReadiness: boolean, drainMs: number) {
  const server = await start(t, { ...SERVER, SHUTDOWN_DRAIN_MS: String(drainMs), LOG_REQUESTS: 'true' }, { coverage: false })
  const document = `${server.url}/.well-known/matrix/server`
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const counts = { ok: 0, okAfterSignal: 0, refused: 0, resetFresh: 0, failed: [] as string[] }
  let signalled = false
  let removedFromPool = false

  const stillRouted = () => !(followReadiness && removedFromPool)
  async function client () {
    while (stillRouted()) {
      try {
        const { status, body } = await get(document, { agent })
        if (status === 200 && body === BODY) {
          counts.ok++
          if (signalled) counts.okAfterSignal++
        } else {
          counts.failed.push(`${status} ${body}`)
        }
      } catch (err) {
        const { code, reused } = err as NodeJS.ErrnoException & { reused: boolean }
        // The listener has closed: refused before anything was sent.
        if (code === 'ECONNREFUSED') { counts.refused++; return }
        // A connection still in the kernel's accept queue when the listener
        // closed: the server never read what was sent on it.
        if (code === 'ECONNRESET' && !reused) { counts.resetFresh++; continue }
        counts.failed.push(`${code} on a ${reused ? 'reused' : 'new'} connection`)
      }
    }
  }

  // Polls /readyz every 100 ms, well inside the drain window, as a Kubernetes
  // readiness probe with periodSeconds much shorter than SHUTDOWN_DRAIN_MS would.
  async function loadBalancer () {
    const probe = new Agent()
    while (!removedFromPool) {
      await sleep(100)
      removedFromPool = (await get(`${server.url}/readyz`, { agent: probe })).status === 503
    }
    probe.destroy()
  }

  const clients = Array.from({ length: connections }, client)
  const balancer = followReadiness ? loadBalancer() : undefined
  await sleep(500)
  signalled = true
  server.child.kill('SIGTERM')
  await Promise.all([...clients, balancer])
  const exit = await server.exited
  agent.destroy()
  const answeredByServer = server.logs.filter(line => line.msg === 'request' && line.path === '/.well-known/matrix/server').length
  return { exit, counts, answeredByServer, server }
}

t.test('SIGTERM behind a load balancer that follows /readyz: every request answered, exit 0', async t => {
  const { exit, counts, answeredByServer, server } = await loadThroughShutdown(t, 32, true, 1500)
  t.comment(`drain behind a balancer: ${JSON.stringify(counts)}`)
  t.same(exit, { code: 0, signal: null }, 'exit code 0')
  t.same(counts.failed, [], 'no error status, truncated answer or reset')
  t.equal(counts.resetFresh, 0, 'no reset at all')
  t.ok(counts.okAfterSignal > 0, 'requests kept being answered during the drain window')
  t.equal(answeredByServer, counts.ok, 'every request the server answered arrived complete')
  t.match(server.logs.filter(line => line.msg === 'shutting down' || line.msg === 'stopped'),
    [{ msg: 'shutting down', signal: 'SIGTERM', drainMs: 1500 }, { msg: 'stopped' }])
})

t.test('SIGTERM under clients that ignore readiness: answered or refused, never cut off', async t => {
  const { exit, counts, answeredByServer } = await loadThroughShutdown(t, 32, false, 500)
  t.comment(`drain under blind clients: ${JSON.stringify(counts)}`)
  t.same(exit, { code: 0, signal: null }, 'exit code 0')
  t.same(counts.failed, [], 'no error status, truncated answer, or reset of a connection in use')
  t.ok(counts.refused > 0, 'clients were refused once the listener closed')
  t.equal(answeredByServer, counts.ok, 'every request the server read was answered in full')
})

t.test('while draining, /readyz fails and documents close their connection', async t => {
  const server = await start(t, { ...SERVER, SHUTDOWN_DRAIN_MS: '2000' })
  const agent = new Agent({ keepAlive: true })
  t.equal((await get(`${server.url}/readyz`, { agent })).status, 200)
  server.child.kill('SIGTERM')
  await sleep(200)
  t.equal((await get(`${server.url}/readyz`, { agent })).status, 503)
  const during = await get(`${server.url}/.well-known/matrix/server`, { agent })
  t.equal(during.status, 200)
  t.equal(during.body, BODY)
  t.equal(during.headers.connection, 'close')
  agent.destroy()
  t.same(await server.exited, { code: 0, signal: null })
})

t.test('a second signal exits at once', async t => {
  const server = await start(t, { ...SERVER, SHUTDOWN_DRAIN_MS: '30000' })
  const started = Date.now()
  server.child.kill('SIGTERM')
  await sleep(200)
  server.child.kill('SIGINT')
  const exit = await server.exited
  t.equal(exit.code, 1)
  t.ok(Date.now() - started < 20_000, 'without waiting for the 30 s drain window')
  t.match(server.logs.at(-1), { level: 50, msg: 'second SIGINT, exiting' })
  t.notOk(server.logs.some(line => line.msg === 'stopped'), 'ended by the signal, not by a drain that completed')
})

t.test('an unexpected error is logged as one JSON line, then the server drains and exits 1', async t => {
  const fixture = new URL('test/process/fixtures/throw-later.mjs', PROJECT).href
  const server = await start(t, { ...SERVER, SHUTDOWN_DRAIN_MS: '0' }, { nodeArgs: [`--import=${fixture}`] })
  const exit = await server.exited
  t.same(exit, { code: 1, signal: null })
  t.match(server.logs.find(line => line.level === 50), {
    msg: 'unexpected error, shutting down',
    err: { type: 'Error', message: 'boom from a test fixture', stack: String }
  })
  t.equal(server.stderr(), '', 'nothing but JSON lines')
})

t.test('a connection that never sends a whole request does not hold up SIGTERM: exit 0 after drain and linger', async t => {
  const server = await start(t, { ...SERVER, SHUTDOWN_DRAIN_MS: '200' })
  const silent = connect(server.port, '127.0.0.1')
  silent.on('error', () => {})
  await once(silent, 'connect')
  silent.write('GET /.well-known/matrix/server HTTP/1.1\r\nHost: exa')
  const idle = connect(server.port, '127.0.0.1')
  idle.on('error', () => {})
  await once(idle, 'connect')
  server.child.kill('SIGTERM')
  // close-with-grace's timeout would end with 1, before the last line.
  t.same(await server.exited, { code: 0, signal: null })
  t.match(server.logs.at(-1), { msg: 'stopped' }, 'the drain and the linger ran to their end')
})

t.test('SIGQUIT drains as SIGTERM does', async t => {
  for (const signal of ['SIGQUIT'] as const) {
    const server = await start(t, { ...SERVER, SHUTDOWN_DRAIN_MS: '100' })
    server.child.kill(signal)
    t.same(await server.exited, { code: 0, signal: null }, signal)
    t.match(server.logs.filter(line => line.msg === 'shutting down' || line.msg === 'stopped'),
      [{ msg: 'shutting down', signal }, { msg: 'stopped' }], signal)
  }
})
