// Loading the domains file in a worker thread gives the same snapshot as
// loading it here, and the same refusals.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadDomainsFile } from '../../src/domains/file.js'
import { workerLoader } from '../../src/domains/loader.js'
import { PROVIDER, tempFile } from '../fixtures.js'
import { COMPILED } from '../helper.js'

// The compiled worker, as the server starts it.
const load = workerLoader(new URL('src/domains/worker.js', COMPILED))

t.test('the snapshot from the worker is the one loadDomainsFile makes', async t => {
  const file = tempFile(t, 'domains.json', PROVIDER)
  const fromWorker = await load(file)
  const here = loadDomainsFile(file, undefined)
  t.same([...fromWorker.hosts], [...here.hosts])
  t.equal(fromWorker.digest, here.digest)
  t.equal(fromWorker.file, file)
  t.ok(Object.isFrozen(fromWorker.hosts.get('example.org')))

  const many = tempFile(t, 'domains.json', Object.fromEntries(Array.from({ length: 4500 }, (_, i) => [`h${i}.example`, { server: `m${i}.example:443` }])))
  const batched = await load(many)
  t.equal(batched.hosts.size, 4500, 'every batch arrives')
  t.same(batched.hosts.get('h4499.example'), { server: '{"m.server":"m4499.example:443"}' })
})

t.test('a refused file is refused with its host, field and digest', async t => {
  const file = tempFile(t, 'domains.json', { 'example.com': { server: 'https://x.example' } })
  await t.rejects(load(file), { name: 'DomainsFileError', host: 'example.com', field: 'server', message: /has a scheme/, digest: /^[0-9a-f]{64}$/ })
})

t.test('a worker that cannot run is a failed load, not a crash', async t => {
  const broken = workerLoader(new URL('file:///nonexistent/domains/worker.js'))
  await t.rejects(broken(fileURLToPath(import.meta.url)), { name: 'DomainsFileError', message: /^could not be loaded: / })
})
