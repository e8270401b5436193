// Keeping the served set in step with the domains file: what changes, what is
// refused, and what is left alone.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { DocumentBodies } from '../src/documents.js'
import { loadDomainsFile } from '../src/domains-file.js'
import { compareDomains, startReloader } from '../src/domains-reloader.js'
import { until } from './helper.js'

t.test('counts hosts added, removed and changed', async t => {
  const before = new Map<string, DocumentBodies>([['a.example', { server: '1' }], ['b.example', { server: '2' }], ['c.example', { client: '3' }]])
  const after = new Map<string, DocumentBodies>([['a.example', { server: '1' }], ['b.example', { server: '9' }], ['d.example', { support: '4' }], ['c.example', { client: '3', support: '5' }]])
  t.same(compareDomains(before, after), { hosts: 4, added: 1, removed: 0, changed: 2 })
  t.same(compareDomains(after, new Map()), { hosts: 0, added: 0, removed: 4, changed: 0 })
})

t.test('the reloader follows renames, symlink swaps, SIGHUP-style requests and refuses broken files', async t => {
  // The layout of a Kubernetes ConfigMap volume: domains.json -> ..data/domains.json, ..data -> ..2026_1
  const dir = mkdtempSync(join(tmpdir(), 'wk-reload-'))
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
    error: (fields: object, message: string) => logs.push({ level: 'error', fields: fields as Record<string, unknown>, message })
  }
  const reloader = startReloader({ initial: loadDomainsFile(file), apply: domains => applied.push(domains), log, debounceMs: 50 })
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
  reloader.reload('SIGHUP')
  t.match(logs.at(-1), { level: 'info', fields: { reason: 'SIGHUP', hosts: 1, added: 0, removed: 0, changed: 0 } })

  rmSync(file)
  await until(() => logs.at(-1)?.level === 'error', 'the missing file')
  t.match(logs.at(-1)?.message, /cannot be read: ENOENT/)
  t.equal(applied.length, 4, 'the last good set stays')
})
