// Keeps the served set in step with the domains file: reloads it on request
// (SIGHUP) and when it changes, and never swaps in a file that fails validation.
import { statSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import { sameDocuments, type DocumentBodies } from '../documents.js'
import { loadDomainsFile, yamlParserFor, type DomainsFileError, type DomainsSnapshot } from './file.js'
import { HOSTS_PER_SLICE, nextSlice } from './slices.js'

export interface DomainsChange {
  readonly hosts: number
  readonly added: number
  readonly removed: number
  readonly changed: number
}

export async function compareDomains (before: ReadonlyMap<string, DocumentBodies>,
  after: ReadonlyMap<string, DocumentBodies>): Promise<DomainsChange> {
  let added = 0
  let changed = 0
  let seen = 0
  for (const [host, documents] of after) {
    const old = before.get(host)
    if (old === undefined) added++
    else if (!sameDocuments(old, documents)) changed++
    if (++seen % HOSTS_PER_SLICE === 0) await nextSlice()
  }
  // Every host of `after` that is not new was in `before`: the rest of `before` is gone.
  return { hosts: after.size, added, removed: before.size - (after.size - added), changed }
}

export interface ReloaderOptions {
  /** What was loaded at start-up; its file is the one watched. */
  readonly initial: DomainsSnapshot
  /** Swaps the new set in; called only with a fully valid one. */
  readonly apply: (hosts: ReadonlyMap<string, DocumentBodies>) => void | Promise<void>
  /** Told of every reload that swapped a set in, and of every refusal (metrics). */
  readonly onOutcome?: (outcome: 'applied' | 'refused', hosts: number) => void
  /** Reads and validates the file; in a worker thread in production (domains-loader.ts). */
  readonly load?: (path: string) => Promise<DomainsSnapshot>
  readonly log: {
    info: (fields: object, message: string) => void
    warn: (fields: object, message: string) => void
    error: (fields: object, message: string) => void
  }
  /** After a change notification, how long to let a writer finish before looking. */
  readonly settleMs?: number
  /** How often to look at the file without a notification (0: never), for what a watch cannot see. */
  readonly checkEveryMs: number
}

export interface Reloader {
  /** Resolves once this reload (and any before it) is done. */
  readonly reload: (reason: string) => Promise<void>
  readonly close: () => void
}

/** What identifies the file's version without reading it: what the path leads to, its size and time. */
function signature (path: string): string {
  try {
    const stats = statSync(path)
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`
  } catch (err) {
    return String((err as NodeJS.ErrnoException).code)
  }
}

/**
 * Watching the directory, not the file, sees an editor's atomic rename and a
 * Kubernetes ConfigMap update (a symlink swap) alike. A notification only leads
 * to a look at the file's signature, and only a changed signature to a read; a
 * periodic look catches what no notification reports (a swapped parent
 * symlink, network and bind mounts). The digest then tells a real change from
 * a touch.
 */
export function startReloader (options: ReloaderOptions): Reloader {
  const { apply, log } = options
  const path = options.initial.file
  let current = options.initial
  // The content last looked at, good or bad: a notification that changes nothing
  // (a touch, an unrelated file in the same directory) is not worth a log line.
  let lastSeen = current.digest
  let lastSignature = signature(path)
  let timer: NodeJS.Timeout | undefined

  function lookForChange (): void {
    if (signature(path) !== lastSignature) reload('change')
  }

  const load = options.load ?? (async (file: string) => loadDomainsFile(file, await yamlParserFor(file)))
  // One reload at a time, in the order asked for. A reload that fails where no
  // failure was foreseen (the swap itself) is logged and counted as refused:
  // the queue goes on, and the caller, a signal handler, never sees a rejection.
  let reloads = Promise.resolve()
  function reload (reason: string): Promise<void> {
    reloads = reloads.then(() => reloadNow(reason)).catch((err: unknown) => {
      log.error({ file: path, reason, err }, `domains reload failed, still serving the last good set: ${path}`)
      options.onOutcome?.('refused', current.hosts.size)
    })
    return reloads
  }

  async function reloadNow (reason: string): Promise<void> {
    lastSignature = signature(path)
    let next: DomainsSnapshot
    try {
      next = await load(path)
    } catch (err) {
      const { code, host, field, message, digest } = err as DomainsFileError
      if (reason === 'change' && digest !== undefined && digest === lastSeen) return
      lastSeen = digest ?? lastSeen
      log.error({ code, file: path, host, field, reason }, `domains file refused, still serving the last good one: ${path} ${message}`)
      options.onOutcome?.('refused', current.hosts.size)
      return
    }
    if (reason === 'change' && next.digest === lastSeen) return
    lastSeen = next.digest
    const change = await compareDomains(current.hosts, next.hosts)
    await apply(next.hosts)
    current = next
    log.info({ file: path, reason, ...change }, 'domains reloaded')
    for (const warning of next.warnings) log.warn({ file: path }, `domains file: ${warning}`)
    options.onOutcome?.('applied', next.hosts.size)
  }

  // The first notification sets the look: later ones cannot postpone it.
  const watcher = watch(dirname(path), { persistent: false }, () => {
    timer ??= setTimeout(() => {
      timer = undefined
      lookForChange()
    }, options.settleMs ?? 200)
  })
  const periodic = options.checkEveryMs > 0 ? setInterval(lookForChange, options.checkEveryMs).unref() : undefined
  // A watched directory can vanish (an unmounted volume): keep serving what we have.
  watcher.on('error', err => log.error({ file: path, err }, `stopped watching the directory of ${basename(path)}; SIGHUP still reloads`))
  return {
    reload,
    close () {
      clearTimeout(timer)
      clearInterval(periodic)
      watcher.close()
    }
  }
}
