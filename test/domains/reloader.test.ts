// Keeping the served set in step with the domains file: what changes, what is
// refused, and what is left alone.
import { execFileSync } from 'node:child_process'
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { DocumentBodies } from '../../src/documents.js'
import { loadDomainsFile } from '../../src/domains/file.js'
import { compareDomains, startReloader } from '../../src/domains/reloader.js'
import { tempDir, until } from '../helper.js'

t.test('counts hosts added, removed and changed', async t => {
  const before = new Map<string, DocumentBodies>([['a.example', { server: '1' }], ['b.example', { server: '2' }], ['c.example', { client: '3' }]])
  const after = new Map<string, DocumentBodies>([['a.example', { server: '1' }], ['b.example', { server: '9' }], ['d.example', { support: '4' }], ['c.example', { client: '3', support: '5' }]])
  t.same(await compareDomains(before, after), { hosts: 4, added: 1, removed: 0, changed: 2 })
  t.same(await compareDomains(after, new Map()), { hosts: 0, added: 0, removed: 4, changed: 0 })
})

t.test('the reloader follows renames, symlink swaps, SIGHUP-style requests and refuses broken files', async t => {
  // The layout of a Kubernetes ConfigMap volume: domains.json -> ..data/domains.json, ..data -> ..2026_1
  const dir = tempDir(t, 'reload')
  const version = (name: string, content: unknown) => {
    mkdirSync(join(dir, name))
    writeFileSync(join(dir, name, 'domains.json'), JSON.stringify(content))
  }
  version('..2026_1', { 'example.com': { server: 'one.example.com:443' } })
  symlinkSync('..2026_1', join(dir, '..data'))
  symlinkSync('..data/domains.json', join(dir, 'domains.json'))
  const file = join(dir, 'domains.json')

  const applied: Array<ReadonlyMap<string, DocumentBodies>> = []
  const logs: Array<{ level: string, fields: Record<string, unknown>, message: string }> = []
  const log = {
    info: (fields: object, message: string) => logs.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    warn: (fields: object, message: string) => logs.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
    error: (fields: object, message: string) => logs.push({ level: 'error', fields: fields as Record<string, unknown>, message })
  }
  const initial = loadDomainsFile(file, undefined)
  const apply = (domains: ReadonlyMap<string, DocumentBodies>) => { applied.push(domains) }
  const reloader = startReloader({ initial, apply, log, settleMs: 50, checkEveryMs: 0 })
  t.teardown(() => reloader.close())

  // ConfigMap update: a new version directory, then ..data swapped by rename.
  version('..2026_2', { 'example.com': { server: 'two.example.com:443' }, 'example.org': { server: 'org.example.org:443' } })
  symlinkSync('..2026_2', join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  await until(() => applied.length === 1, 'the symlink swap')
  t.equal(applied[0]!.get('example.com')?.server, '{"m.server":"two.example.com:443"}')
  t.match(logs.at(-1), { level: 'info', message: 'domains reloaded', fields: { file, reason: 'change', hosts: 2, added: 1, removed: 0, changed: 1 } })

  // An editor's save: write aside, rename over the link.
  writeFileSync(join(dir, 'domains.json.swp'), JSON.stringify({ 'example.org': { server: 'three.example.org:443' } }))
  renameSync(join(dir, 'domains.json.swp'), file)
  await until(() => applied.length === 2, 'the rename')
  t.match(logs.at(-1)?.fields, { hosts: 1, added: 0, removed: 1, changed: 1 })

  // A broken file is refused, once, and nothing is applied.
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'https://broken.example.org' } }))
  await until(() => logs.some(entry => entry.level === 'error'), 'the refusal')
  t.match(logs.at(-1), { level: 'error', fields: { file, host: 'example.org', field: 'server', reason: 'change' }, message: /still serving the last good one.*has a scheme/ })
  writeFileSync(join(dir, 'unrelated.txt'), 'x')
  // The same broken content saved again: read again (its time changed), not reported again.
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'https://broken.example.org' } }))
  await sleep(200)
  t.equal(logs.filter(entry => entry.level === 'error').length, 1, 'the same broken content is not reported again')
  t.equal(applied.length, 2)

  // A touch with identical content reloads nothing; an explicit reload always reports.
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'four.example.org:443' } }))
  await until(() => applied.length === 3, 'the fix')
  const before = logs.length
  writeFileSync(file, JSON.stringify({ 'example.org': { server: 'four.example.org:443' } }))
  await sleep(200)
  t.equal(logs.length, before, 'identical content is not reloaded')
  await reloader.reload('SIGHUP')
  t.match(logs.at(-1), { level: 'info', fields: { reason: 'SIGHUP', hosts: 1, added: 0, removed: 0, changed: 0 } })

  rmSync(file)
  await until(() => logs.at(-1)?.level === 'error', 'the missing file')
  t.match(logs.at(-1)?.message, /cannot be read: ENOENT/)
  t.equal(applied.length, 4, 'the last good set stays')
})

t.test('a steady stream of unrelated writes cannot postpone a real change', async t => {
  const dir = tempDir(t, 'reload-busy')
  const file = join(dir, 'domains.json')
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'one.example.com:443' } }))
  const applied: Array<ReadonlyMap<string, DocumentBodies>> = []
  let writing = true
  const stillWriting = () => writing
  // Whether the noise was still going when the change was applied: it is stopped only after.
  const appliedDuringNoise: boolean[] = []
  const apply = (hosts: ReadonlyMap<string, DocumentBodies>) => {
    applied.push(hosts)
    appliedDuringNoise.push(stillWriting())
  }
  const initial = loadDomainsFile(file, undefined)
  const log = { info () {}, warn () {}, error () {} }
  const reloader = startReloader({ initial, apply, log, settleMs: 100, checkEveryMs: 0 })
  t.teardown(() => reloader.close())
  const noise = (async () => {
    for (let i = 0; stillWriting(); i++) {
      writeFileSync(join(dir, 'unrelated.log'), String(i))
      await sleep(20)
    }
  })()
  await sleep(100)
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'two.example.com:443' } }))
  await until(() => applied.length === 1, 'the change, despite the noise', 10_000)
  writing = false
  await noise
  t.same(appliedDuringNoise, [true], 'applied while the unrelated writes went on')
  t.equal(applied[0]!.get('example.com')?.server, '{"m.server":"two.example.com:443"}')
})

t.test('a periodic look sees what no notification reports: the file\'s directory swapped through a symlink', async t => {
  // /srv/current -> release-1, then -> release-2: the watch is on release-1, which never changes.
  const dir = tempDir(t, 'reload-release')
  for (const [release, server] of [['release-1', 'one'], ['release-2', 'two']]) {
    mkdirSync(join(dir, release!))
    writeFileSync(join(dir, release!, 'domains.json'), JSON.stringify({ 'example.com': { server: `${server!}.example.com:443` } }))
  }
  symlinkSync('release-1', join(dir, 'current'))
  const file = join(dir, 'current', 'domains.json')
  const applied: Array<ReadonlyMap<string, DocumentBodies>> = []
  const initial = loadDomainsFile(file, undefined)
  const apply = (hosts: ReadonlyMap<string, DocumentBodies>) => { applied.push(hosts) }
  const reloader = startReloader({ initial, apply, log: { info () {}, warn () {}, error () {} }, checkEveryMs: 100 })
  t.teardown(() => reloader.close())
  symlinkSync('release-2', join(dir, 'current.next'))
  renameSync(join(dir, 'current.next'), join(dir, 'current'))
  await until(() => applied.length === 1, 'the periodic look', 10_000)
  t.equal(applied[0]!.get('example.com')?.server, '{"m.server":"two.example.com:443"}')
})

t.test('a FIFO in place of the file is refused without blocking, and the last good set stays', async t => {
  const dir = tempDir(t, 'reload-fifo')
  const file = join(dir, 'domains.json')
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'one.example.com:443' } }))
  const errors: string[] = []
  const reloader = startReloader({ initial: loadDomainsFile(file, undefined), apply: () => { t.fail('nothing to apply') }, log: { info () {}, warn () {}, error: (fields, message) => errors.push(message) }, settleMs: 20, checkEveryMs: 0 })
  t.teardown(() => reloader.close())
  rmSync(file)
  execFileSync('mkfifo', [file])
  await until(() => errors.length > 0, 'the refusal')
  t.match(errors[0], /still serving the last good one: .*domains\.json cannot be read: not a regular file/)
  t.throws(() => loadDomainsFile(file, undefined), { message: /^cannot be read: not a regular file/ }, 'at start-up too')
})

t.test('a reload that fails where nothing was foreseen is logged and counted, and later reloads still run', async t => {
  const file = join(tempDir(t, 'reload-queue'), 'domains.json')
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'one.example.com:443' } }))
  const errors: Array<{ fields: Record<string, unknown>, message: string }> = []
  const outcomes: string[] = []
  const applied: Array<ReadonlyMap<string, DocumentBodies>> = []
  let swapFails = true
  const reloader = startReloader({
    initial: loadDomainsFile(file, undefined),
    apply: hosts => {
      if (swapFails) {
        swapFails = false
        throw new Error('the swap failed')
      }
      applied.push(hosts)
    },
    log: {
      info () {},
      warn () {},
      error: (fields, message) => errors.push({ fields: fields as Record<string, unknown>, message })
    },
    onOutcome: outcome => outcomes.push(outcome),
    // Only the reloads asked for below: no change notification may run one in between.
    settleMs: 60_000,
    checkEveryMs: 0
  })
  t.teardown(() => reloader.close())
  writeFileSync(file, JSON.stringify({ 'example.com': { server: 'two.example.com:443' } }))
  await t.resolves(reloader.reload('SIGHUP'), 'a failed reload does not reject: a signal handler calls it')
  t.match(errors, [{ message: /^domains reload failed, still serving the last good set: /, fields: { file, reason: 'SIGHUP', err: { message: 'the swap failed' } } }])
  await reloader.reload('SIGUSR2')
  t.equal(applied.length, 1, 'the reload after it ran')
  t.equal(applied[0]!.get('example.com')?.server, '{"m.server":"two.example.com:443"}')
  t.same(outcomes, ['refused', 'applied'])
})

t.test('each reload warns about the obsolete keys it finds, host by host, and applies the file all the same', async t => {
  const file = join(tempDir(t, 'reload-warnings'), 'domains.json')
  const client = (extra: Record<string, unknown>) => ({ client: { 'm.homeserver': { base_url: 'https://matrix.example.com' }, ...extra } })
  writeFileSync(file, JSON.stringify({ 'example.com': client({}) }))
  const warnings: string[] = []
  const applied: Array<ReadonlyMap<string, DocumentBodies>> = []
  const reloader = startReloader({
    initial: loadDomainsFile(file, undefined),
    apply: hosts => { applied.push(hosts) },
    log: { info () {}, warn: (fields, message) => warnings.push(message), error () {} },
    settleMs: 60_000,
    checkEveryMs: 0
  })
  t.teardown(() => reloader.close())
  writeFileSync(file, JSON.stringify({
    'example.com': client({ 'org.matrix.msc2965.authentication': { issuer: 'https://auth.example.com/' } }),
    'example.org': client({ 'org.matrix.msc3575.proxy': { url: 'https://sync.example.org' }, 'm.authentication': {} })
  }))
  await reloader.reload('SIGHUP')
  t.equal(applied.length, 1)
  t.match(warnings, [
    /^domains file: host "example\.com": client "org\.matrix\.msc2965\.authentication" is obsolete: clients find the sign-in server through/,
    /^domains file: host "example\.org": client "org\.matrix\.msc3575\.proxy" is obsolete: /,
    /^domains file: host "example\.org": client "m\.authentication" is obsolete: it was never in the spec/
  ])
  t.equal(warnings.length, 3, 'one warning per key and host')
})
