// The metrics registry and its endpoint, in-process.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createMetrics } from '../src/metrics.js'
import { get } from './helper.js'

t.test('GET /metrics: requests by document and status, hosts, reloads by outcome, last success, process metrics', async t => {
  const metrics = createMetrics()
  const server = createServer(metrics.handle).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  metrics.countRequest('server', 200)
  metrics.countRequest('server', 200)
  metrics.countRequest('client', 404)
  metrics.setHosts(3)
  metrics.countReload('refused')
  metrics.countReload('applied', 5)
  const before = Date.now() / 1000
  const { status, headers, body } = await get(`${url}/metrics?x=1`)
  t.equal(status, 200)
  t.match(headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.equal(headers['cache-control'], 'no-store')
  t.match(body, /^matrix_well_known_requests_total\{document="server",status="200"\} 2$/m)
  t.match(body, /^matrix_well_known_requests_total\{document="client",status="404"\} 1$/m)
  t.match(body, /^matrix_well_known_hosts 5$/m, 'the applied reload set the count')
  t.match(body, /^matrix_well_known_domains_reloads_total\{outcome="refused"\} 1$/m)
  t.match(body, /^matrix_well_known_domains_reloads_total\{outcome="applied"\} 1$/m)
  const lastSuccess = Number(/^matrix_well_known_domains_last_success_timestamp_seconds (\S+)$/m.exec(body)![1])
  t.ok(Math.abs(lastSuccess - before) < 5, 'the time of the last applied set')
  t.match(body, /^process_cpu_seconds_total /m, 'the process\'s standard metrics')
  t.match(body, /^nodejs_eventloop_lag_seconds /m)

  t.equal((await get(`${url}/`)).status, 404)
  t.equal((await get(`${url}/metrics`, { method: 'POST' })).status, 404)
})
