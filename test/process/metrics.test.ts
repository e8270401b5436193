// Prometheus metrics on a port of their own, from the running service: the
// counters move with requests and reloads, and the public port never has them.
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { get, tempDir, until } from '../helper.js'
import { run, start } from './helper.js'

t.test('curl of the metrics port shows the counters moving', async t => {
  const dir = tempDir(t, 'metrics')
  const file = join(dir, 'domains.json')
  writeFileSync(file, JSON.stringify({ 'a.example': { server: 'matrix.a.example:443' }, 'b.example': { server: 'matrix.b.example:443' } }))
  const server = await start(t, { MATRIX_DOMAINS_FILE: file, METRICS_PORT: '0', DOMAINS_FILE_CHECK_MS: '0' })
  await until(() => server.logs.some(line => line.msg === 'metrics'), 'the metrics line')
  const metricsUrl = `http://127.0.0.1:${String(server.logs.find(line => line.msg === 'metrics')!.port)}/metrics`
  const sample = async (name: string) => {
    const { body } = await get(metricsUrl)
    const match = new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(body)
    return match === null ? 0 : Number(match[1])
  }
  const served = 'matrix_well_known_requests_total{document="server",status="200"}'
  t.equal(await sample(served), 0)
  t.equal(await sample('matrix_well_known_hosts'), 2)
  for (let i = 0; i < 3; i++) await get(`${server.url}/.well-known/matrix/server`, { headers: { host: 'a.example' } })
  await get(`${server.url}/.well-known/matrix/server`, { headers: { host: 'c.example' } })
  t.equal(await sample(served), 3)
  t.equal(await sample('matrix_well_known_requests_total{document="server",status="404"}'), 1)

  writeFileSync(file, '{"a.example": {"server": "https://broken"}}')
  server.child.kill('SIGHUP')
  await until(async () => await sample('matrix_well_known_domains_reloads_total{outcome="refused"}') === 1, 'the refusal to be counted')
  writeFileSync(file, JSON.stringify({ 'a.example': { server: 'matrix.a.example:443' } }))
  server.child.kill('SIGHUP')
  await until(async () => await sample('matrix_well_known_domains_reloads_total{outcome="applied"}') === 1, 'the reload to be counted')
  t.equal(await sample('matrix_well_known_hosts'), 1)
  t.ok(await sample('matrix_well_known_domains_last_success_timestamp_seconds') > Date.now() / 1000 - 60)

  const onPublicPort = await get(`${server.url}/metrics`)
  t.equal(onPublicPort.status, 404, 'never on the public port')
  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null })
})

t.test('without METRICS_PORT there is no metrics listener', async t => {
  const server = await start(t, { MATRIX_SERVER: 'matrix.example.com:443' })
  t.notOk(server.logs.some(line => line.msg === 'metrics'))
})

t.test('a metrics port already taken stops start-up with one JSON line and exit code 1', async t => {
  const taken = createServer().listen(0, '127.0.0.1')
  await once(taken, 'listening')
  t.teardown(() => { taken.close() })
  const port = (taken.address() as AddressInfo).port
  const server = run({ MATRIX_SERVER: 'matrix.example.com:443', PORT: '0', METRICS_PORT: String(port) })
  t.same(await server.exited, { code: 1, signal: null })
  t.match(server.logs.at(-1), { level: 50, msg: `cannot listen for metrics on 127.0.0.1:${port}`, err: { code: 'EADDRINUSE' } })
})
