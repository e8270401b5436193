// Many domains in the running process: reloads under load, by SIGHUP and by
// file change, never answer a request with a mix, an error or another's file.
import { renameSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { get, tempDir, until } from '../helper.js'
import { start } from './helper.js'

function domains (generation: number, hosts = 50) {
  return Object.fromEntries(Array.from({ length: hosts }, (_, i) =>
    [`host${i}.example`, { server: `gen${generation}.host${i}.example:443` }]))
}

t.test('reloads on SIGHUP and on file change while requests keep coming', async t => {
  const dir = tempDir(t, 'domains-process')
  const file = join(dir, 'domains.json')
  writeFileSync(file, JSON.stringify(domains(0)))
  const server = await start(t, { MATRIX_DOMAINS_FILE: file })
  t.match(server.logs.find(line => line.msg === 'serving'), { domainsFile: file, hosts: 50 })

  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  const seen = new Set<number>()
  const wrong: string[] = []
  let requests = 0
  let running = true
  const url = `${server.url}/.well-known/matrix/server`
  const keepGoing = () => running
  const clients = Array.from({ length: 16 }, async (_, worker) => {
    for (let i = worker; keepGoing(); i += 16) {
      const host = `HOST${i % 50}.example.:443`
      const { status, body } = await get(url, { agent, headers: { host } })
      requests++
      const match = /^\{"m\.server":"gen(\d+)\.host(\d+)\.example:443"\}$/.exec(body)
      if (status !== 200 || match === null || Number(match[2]) !== i % 50) wrong.push(`${host} -> ${status} ${body}`)
      else seen.add(Number(match[1]))
    }
  })

  const logged = (message: string) => server.logs.filter(line => line.msg === message || (line.level === 50 && message === 'refused')).length
  await sleep(300)
  writeFileSync(file, JSON.stringify(domains(1))) // picked up by the watcher
  await until(() => logged('domains reloaded') === 1, 'the first reload')
  await sleep(200)
  writeFileSync(join(dir, 'next.json'), JSON.stringify(domains(2)))
  renameSync(join(dir, 'next.json'), file) // an editor's atomic save
  await until(() => logged('domains reloaded') === 2, 'the second reload')
  await sleep(200)
  writeFileSync(file, '{"host0.example": {"server": "https://broken"}}') // refused
  await until(() => logged('refused') === 1, 'the refusal')
  server.child.kill('SIGHUP') // refused again, and said so
  await until(() => logged('refused') === 2, 'the second refusal')
  await sleep(100)
  running = false
  await Promise.all(clients)
  agent.destroy()

  t.same(wrong, [], `every one of ${requests} requests got its own host's document`)
  t.same([...seen].sort(), [0, 1, 2], 'answers came from each generation in turn')
  const reloads = server.logs.filter(line => line.msg === 'domains reloaded')
  t.match(reloads, [{ reason: 'change', hosts: 50, changed: 50 }, { reason: 'change', hosts: 50, changed: 50 }])
  const refusals = server.logs.filter(line => line.level === 50)
  t.match(refusals, [{ reason: 'change', host: 'host0.example', field: 'server' }, { reason: 'SIGHUP', host: 'host0.example' }])
  const ready = await get(`${server.url}/readyz`)
  t.equal(ready.status, 200, '/readyz stayed ready')
  t.equal((await get(url, { headers: { host: 'host7.example' } })).body, '{"m.server":"gen2.host7.example:443"}', 'the last good set is served')

  writeFileSync(file, JSON.stringify(domains(3)))
  server.child.kill('SIGHUP')
  await until(() => server.logs.some(line => line.msg === 'domains reloaded' && line.reason === 'SIGHUP'), 'the SIGHUP reload')
  t.equal((await get(url, { headers: { host: 'host7.example' } })).body, '{"m.server":"gen3.host7.example:443"}', 'SIGHUP loads a fixed file')

  writeFileSync(file, JSON.stringify(domains(4)))
  server.child.kill('SIGUSR2')
  await until(() => server.logs.some(line => line.msg === 'domains reloaded' && line.reason === 'SIGUSR2'), 'the SIGUSR2 reload')
  t.equal((await get(url, { headers: { host: 'host7.example' } })).body, '{"m.server":"gen4.host7.example:443"}', 'SIGUSR2 reloads too')
})

t.test('a YAML domains file, named in .env, is served and reloaded: the YAML parser is loaded for it', async t => {
  const dir = tempDir(t, 'domains-yaml')
  const file = join(dir, 'domains.yml')
  writeFileSync(file, 'example.com:\n  server: matrix.example.com:443\n')
  writeFileSync(join(dir, '.env'), `MATRIX_DOMAINS_FILE=${file}\n`)
  const server = await start(t, {}, { cwd: dir })
  t.match(server.logs.find(line => line.msg === 'serving'), { domainsFile: file, hosts: 1 })
  const url = `${server.url}/.well-known/matrix/server`
  t.equal((await get(url, { headers: { host: 'example.com' } })).body, '{"m.server":"matrix.example.com:443"}')
  writeFileSync(file, 'example.com:\n  server: matrix2.example.com:443\n')
  server.child.kill('SIGHUP')
  await until(() => server.logs.some(line => line.msg === 'domains reloaded'), 'the reload')
  t.equal((await get(url, { headers: { host: 'example.com' } })).body, '{"m.server":"matrix2.example.com:443"}', 'the worker parses YAML too')
})

t.test('a reload of 100,000 hosts never keeps a probe waiting for more than a small part of it', async t => {
  const dir = tempDir(t, 'domains-large')
  const file = join(dir, 'domains.json')
  const large = (generation: number) => JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) =>
    [`customer${i}.example`, { server: `gen${generation}.customer${i}.example:443` }])))
  writeFileSync(file, large(0))
  const server = await start(t, { MATRIX_DOMAINS_FILE: file, DOMAINS_FILE_CHECK_MS: '0' }, { coverage: false })
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const probe = async () => {
    const started = performance.now()
    const { status } = await get(`${server.url}/readyz`, { agent })
    return { status, ms: performance.now() - started }
  }
  for (let i = 0; i < 20; i++) await probe() // warm

  writeFileSync(file, large(1))
  const signalled = performance.now()
  server.child.kill('SIGHUP')
  const waits: number[] = []
  const reloaded = () => server.logs.some(line => line.msg === 'domains reloaded' && line.reason === 'SIGHUP')
  while (!reloaded()) {
    const { status, ms } = await probe()
    t.equal(status, 200)
    waits.push(ms)
    await sleep(5)
  }
  const reloadMs = performance.now() - signalled
  const longest = Math.max(...waits)
  t.comment(`${waits.length} probes during the ${reloadMs.toFixed(0)} ms reload, the longest ${longest.toFixed(1)} ms`)
  t.ok(waits.length > 10, 'the reload took a while, and probes went on meanwhile')
  // Relative to the reload itself, so that a loaded machine, which slows both, cannot break it:
  // a reload done in one piece on the main thread would keep a probe waiting for most of it.
  t.ok(longest < reloadMs / 10, `no probe waited a tenth of the reload (longest ${longest.toFixed(1)} ms of ${reloadMs.toFixed(0)} ms)`)
  t.match(server.logs.find(reloaded => reloaded.msg === 'domains reloaded' && reloaded.reason === 'SIGHUP'), { hosts: 100_000, changed: 100_000 })
  t.equal((await get(`${server.url}/.well-known/matrix/server`, { headers: { host: 'customer99999.example' } })).body,
    '{"m.server":"gen1.customer99999.example:443"}')
})
