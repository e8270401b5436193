import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { probeAddress, probeAddressFrom, probeHealth } from '../src/healthcheck.js'
import { tempDir } from './helper.js'

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
  // Without its timeout, the probe would wait for good on a server that never answers.
  t.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`)
})

t.test('the probe reads HOST and PORT from the environment, then .env, then the defaults, and nothing else', async t => {
  const dir = tempDir(t, 'probe')
  const dotenv = join(dir, '.env')
  writeFileSync(dotenv, 'PORT=9001\nHOST=127.0.0.2\nMATRIX_SERVER=https://broken\n')
  t.same(probeAddressFrom({}, false), { host: '0.0.0.0', port: 8080 })
  t.same(probeAddressFrom({}, dotenv), { host: '127.0.0.2', port: 9001 })
  t.same(probeAddressFrom({ PORT: '9002', HOST: '::' }, dotenv), { host: '::', port: 9002 })
  t.same(probeAddressFrom({ PORT: 'Infinity' }, false), { host: '0.0.0.0', port: 8080 }, 'a port the service would refuse is not where it listens')
  t.match(probeAddressFrom({ PORT: '70000' }, false), { port: 8080 })
  t.match(probeAddressFrom({ PORT: '0' }, false), { problem: /^PORT=0 lets the system choose the port at start-up, which this probe cannot know/ })
  t.match(probeAddressFrom({ PORT: '00' }, dotenv), { problem: /PORT=0/ })
  t.same(probeAddressFrom({}, dir), { host: '0.0.0.0', port: 8080 }, 'an unreadable .env is passed over')
})
