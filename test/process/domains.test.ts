// Many domains in the running process: reloads under load, by SIGHUP and by
// file change, never answer a request with a mix, an error or another's file.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { until } from '../helper.js'
import { get, start } from './helper.js'

function domains (generation: number, hosts = 50) {
  return Object.fromEntries(Array.from({ length: hosts }, (_, i) =>
    [`host${i}.example`, { server: `gen${generation}.host${i}.example:443` }]))
}

t.test('reloads on SIGHUP and on file change while requests keep coming', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'wk-domains-process-'))
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

  await sleep(300)
  writeFileSync(file, JSON.stringify(domains(1))) // picked up by the watcher
  await sleep(600)
  writeFileSync(join(dir, 'next.json'), JSON.stringify(domains(2)))
  renameSync(join(dir, 'next.json'), file) // an editor's atomic save
  await sleep(600)
  writeFileSync(file, '{"host0.example": {"server": "https://broken"}}') // refused
  await sleep(600)
  server.child.kill('SIGHUP') // refused again, and said so
  await sleep(300)
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
  await sleep(300)
  t.equal((await get(url, { headers: { host: 'host7.example' } })).body, '{"m.server":"gen3.host7.example:443"}', 'SIGHUP loads a fixed file')

  writeFileSync(file, JSON.stringify(domains(4)))
  server.child.kill('SIGUSR2')
  await until(() => server.logs.some(line => line.msg === 'domains reloaded' && line.reason === 'SIGUSR2'), 'the SIGUSR2 reload')
  t.equal((await get(url, { headers: { host: 'host7.example' } })).body, '{"m.server":"gen4.host7.example:443"}', 'SIGUSR2 reloads too')
})
