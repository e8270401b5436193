// The domains worker on its own: the file read and validated in a thread of
// its own, at a lower priority, and handed back a slice at a time, each only
// when asked for.
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import t, { type Test } from 'tap'
import { HOSTS_PER_SLICE } from '../../src/domains/slices.js'
import { workerLoader } from '../../src/domains/loader.js'
import type { WorkerMessage } from '../../src/domains/worker.js'
import { PROVIDER, tempFile } from '../fixtures.js'
import { COMPILED } from '../helper.js'

// The compiled worker, as the server starts it.
const WORKER = new URL('src/domains/worker.js', COMPILED)

const hostsFile = (t: Test, count: number) =>
  tempFile(t, 'domains.json', Object.fromEntries(Array.from({ length: count }, (_, i) => [`h${i}.example`, { server: `m${i}.example:443` }])))

t.test('hands the hosts back a slice at a time, the next only when asked for', async t => {
  const file = hostsFile(t, HOSTS_PER_SLICE + 1)
  const worker = new Worker(WORKER, { workerData: { path: file } })
  t.teardown(() => worker.terminate())
  const next = async () => (await once(worker, 'message'))[0] as WorkerMessage
  const first = await next()
  t.ok('hosts' in first && first.hosts.length === HOSTS_PER_SLICE, 'a whole slice first')
  const waiting = await Promise.race([next().then(() => 'sent unasked'), new Promise(resolve => setTimeout(resolve, 200, 'waits'))])
  t.equal(waiting, 'waits', 'nothing more until asked')
  worker.postMessage('next')
  const second = await next()
  t.same('hosts' in second && second.hosts, [['h250.example', '{"m.server":"m250.example:443"}', undefined, undefined, undefined]])
  worker.postMessage('next')
  t.match(await next(), { done: { file, digest: /^[0-9a-f]{64}$/ } })
})

t.test('a refused file comes back as one message with its host, field and digest', async t => {
  const file = tempFile(t, 'domains.json', { ...PROVIDER, 'bad.example': { client: { 'm.homeserver': {} } } })
  const worker = new Worker(WORKER, { workerData: { path: file } })
  const [message] = await once(worker, 'message') as [WorkerMessage]
  t.match(message, { refused: { host: 'bad.example', field: 'client.m.homeserver.base_url', message: /is missing/, digest: /^[0-9a-f]{64}$/ } })
  await once(worker, 'exit')
})

t.test('the worker parses at a lower CPU priority, and only it: answers come first', { skip: process.platform !== 'linux' && 'nice values are per thread on Linux only' }, async t => {
  const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
  const threadNices = () => readdirSync('/proc/self/task').flatMap(thread => {
    try {
      return [niceOf(readFileSync(`/proc/self/task/${thread}/stat`, 'utf8'))]
    } catch {
      return [] // a thread that ended in between
    }
  })
  const seen = new Set<number>()
  const many = hostsFile(t, 4500)
  const sampler = setInterval(() => { for (const nice of threadNices()) seen.add(nice) }, 1)
  await workerLoader(WORKER)(many)
  clearInterval(sampler)
  t.ok(seen.has(5), `a thread at nice 5 while loading (seen: ${[...seen].join(', ')})`)
  t.equal(niceOf(readFileSync('/proc/self/stat', 'utf8')), 0, 'the main thread keeps its priority')
})
