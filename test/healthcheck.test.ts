import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { probeAddress, probeHealth } from '../src/healthcheck.js'

t.test('probes loopback when the server listens on every interface', async t => {
  t.equal(probeAddress('0.0.0.0'), '127.0.0.1')
  t.equal(probeAddress('::'), '::1')
  t.equal(probeAddress('192.0.2.10'), '192.0.2.10')
  t.equal(probeAddress('localhost'), 'localhost')
})

t.test('a server that accepts but never answers fails the probe after the timeout', async t => {
  const silent = createServer(() => {}).listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => { silent.close() })
  const started = Date.now()
  t.equal(await probeHealth('127.0.0.1', (silent.address() as AddressInfo).port, 200), false)
  t.ok(Date.now() - started < 2000)
})
