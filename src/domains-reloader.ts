// Keeps the served set in step with the domains file: reloads it on request
// (SIGHUP) and when it changes, and never swaps in a file that fails validation.
import { watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import { DOCUMENT_NAMES, type DocumentBodies } from './documents.js'
import { loadDomainsFile, type DomainsFileError, type DomainsSnapshot } from './domains-file.js'

export interface DomainsChange {
  readonly hosts: number
  readonly added: number
  readonly removed: number
  readonly changed: number
}

export function compareDomains (before: ReadonlyMap<string, DocumentBodies>, after: ReadonlyMap<string, DocumentBodies>): DomainsChange {
  let added = 0
  let changed = 0
  for (const [host, documents] of after) {
    const old = before.get(host)
    if (old === undefined) added++
    else if (DOCUMENT_NAMES.some(name => old[name] !== documents[name])) changed++
  }
  const removed = [...before.keys()].filter(host => !after.has(host)).length
  return { hosts: after.size, added, removed, changed }
}

export interface ReloaderOptions {
  /** What was loaded at start-up; its file is the one watched. */
  readonly initial: DomainsSnapshot
  /** Swaps the new set in; called only with a fully valid one. */
  readonly apply: (hosts: ReadonlyMap<string, DocumentBodies>) => void
  readonly log: {
    info: (fields: object, message: string) => void
    error: (fields: object, message: string) => void
  }
  /** Quiet time after the last change notification before the file is read. */
  readonly debounceMs?: number
}

export interface Reloader {
  readonly reload: (reason: string) => void
  readonly close: () => void
}

/**
 * Watching the directory, not the file, sees an editor's atomic rename and a
 * Kubernetes ConfigMap update (a symlink swap) alike; the digest then tells a
 * real change from a touch.
 */
export function startReloader (options: ReloaderOptions): Reloader {
  const { apply, log } = options
  const path = options.initial.file
  let current = options.initial
  // The content last looked at, good or bad: a notification that changes nothing
  // (a touch, an unrelated file in the same directory) is not worth a log line.
  let lastSeen = current.digest
  let timer: NodeJS.Timeout | undefined

  function reload (reason: string): void {
    let next: DomainsSnapshot
    try {
      next = loadDomainsFile(path)
    } catch (err) {
      const { code, host, field, message, digest } = err as DomainsFileError
      if (reason === 'change' && digest !== undefined && digest === lastSeen) return
      lastSeen = digest ?? lastSeen
      log.error({ code, file: path, host, field, reason }, `domains file refused, still serving the last good one: ${path} ${message}`)
      return
    }
    if (reason === 'change' && next.digest === lastSeen) return
    lastSeen = next.digest
    const change = compareDomains(current.hosts, next.hosts)
    apply(next.hosts)
    current = next
    log.info({ file: path, reason, ...change }, 'domains reloaded')
  }

  const watcher = watch(dirname(path), { persistent: false }, () => {
    clearTimeout(timer)
    timer = setTimeout(() => reload('change'), options.debounceMs ?? 200)
  })
  // A watched directory can vanish (an unmounted volume): keep serving what we have.
  watcher.on('error', err => log.error({ file: path, err }, `stopped watching the directory of ${basename(path)}; SIGHUP still reloads`))
  return {
    reload,
    close () {
      clearTimeout(timer)
      watcher.close()
    }
  }
}
