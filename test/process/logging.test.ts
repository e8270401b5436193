// A log destination that fails or stalls never stops the service from
// answering, and never keeps SIGTERM from ending it with exit code 0.
import { spawn } from 'node:child_process'
import { openSync, readFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { get, until, unusedPort } from '../helper.js'
import { SERVER_ENTRY, inherited, start } from './helper.js'

const SERVER = { MATRIX_SERVER: 'matrix.example.com:443', LOG_REQUESTS: 'true', SHUTDOWN_DRAIN_MS: '0' }

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

t.test('standard output on a full disk: every request answered, SIGTERM ends it with 0', async t => {
  const port = await unusedPort()
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { ...inherited, ...SERVER, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', chunk => { stderr += chunk })
  const exited = new Promise(resolve => child.on('close', (code, signal) => resolve({ code, signal })))
  const url = `http://127.0.0.1:${port}`
  await until(() => get(`${url}/healthz`).then(() => true, () => false), 'the server to answer')
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  t.teardown(() => agent.destroy())
  const statuses = await Promise.all(Array.from({ length: 500 }, () => get(`${url}/.well-known/matrix/server`, { agent }).then(answer => answer.status)))
  t.same([...new Set(statuses)], [200], '500 requests, 500 answers')
  agent.destroy()
  child.kill('SIGTERM')
  // A shutdown held past close-with-grace's delay would end with 1.
  t.same(await exited, { code: 0, signal: null })
  t.equal(stderr, '', 'nothing on stderr either')
})

t.test('standard output on a pipe nobody reads: answers go on, memory stays bounded, the drop is reported, SIGTERM ends it with 0', async t => {
  const server = await start(t, SERVER)
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  t.teardown(() => agent.destroy())
  // Long request lines fill the queue sooner.
  const url = `${server.url}/.well-known/matrix/server?${'q'.repeat(600)}`
  const batch = () => Promise.all(Array.from({ length: 100 }, () => get(url, { agent }).then(answer => answer.status)))
  for (let warmUp = 0; warmUp < 10; warmUp++) await batch()
  server.child.stdout!.pause() // from here on, nobody reads the service's output
  const before = rssMb(server.child.pid!)
  let answered = 0
  for (let round = 0; round < 40; round++) {
    const statuses = await batch()
    answered += statuses.filter(status => status === 200).length
  }
  const after = rssMb(server.child.pid!)
  t.equal(answered, 4000, 'every request answered')
  t.ok(after - before < 30, `memory bounded (${before.toFixed(1)} → ${after.toFixed(1)} MB)`)

  server.child.stdout!.resume()
  await until(() => server.logs.some(line => line.msg !== undefined && String(line.msg).startsWith('log lines dropped')), 'the report of dropped lines')
  const report = server.logs.find(line => String(line.msg).startsWith('log lines dropped'))!
  t.ok(Number(report.dropped) > 0, `${String(report.dropped)} lines dropped, and said so`)
  t.comment(`log lines written ${server.logs.filter(line => line.msg === 'request').length}, dropped ${String(report.dropped)}`)

  // Stalled again with lines queued: shutdown waits for them a moment, not forever.
  server.child.stdout!.pause()
  for (let round = 0; round < 5; round++) await batch()
  agent.destroy()
  server.child.kill('SIGTERM')
  await sleep(200)
  server.child.stdout!.resume()
  // A flush that waited on the stalled reader past close-with-grace's delay would end with 1.
  t.same(await server.exited, { code: 0, signal: null })
  t.match(server.logs.at(-1), { msg: 'stopped' }, 'the last line reached the reader')
})

t.test('standard output whose reader went away: the service goes on answering, and SIGTERM ends it with 0', async t => {
  const server = await start(t, SERVER)
  server.child.stdout!.destroy() // the log driver is gone: every write now fails with EPIPE
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  const statuses = await Promise.all(Array.from({ length: 200 }, () => get(`${server.url}/.well-known/matrix/server`, { agent }).then(answer => answer.status)))
  t.same([...new Set(statuses)], [200], '200 requests, 200 answers')
  agent.destroy()
  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null })
  t.equal(server.stderr(), '')
})
