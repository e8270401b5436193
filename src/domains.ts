// Many server names from one instance: a file maps each hostname to its
// documents. It is read, validated and prepared whole, off to the side, so that
// a reload swaps one complete, valid set for another or changes nothing.
import { createHash } from 'node:crypto'
import { readFileSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { Documents } from './config.js'
import {
  clientDocumentProblem,
  isPlainObject,
  oversizeProblem,
  parseServerName,
  supportDocumentProblem,
  type FieldProblem
} from './validators.js'

export interface DomainsSnapshot {
  /** The file they came from. */
  readonly file: string
  /** Lower-case hostname → its documents, serialised as served. */
  readonly domains: ReadonlyMap<string, Documents>
  /** Of the file's bytes: a change notification with identical content reloads nothing. */
  readonly digest: string
}

export class DomainsFileError extends Error {
  readonly code = 'WK_ERR_DOMAINS_FILE_INVALID'
  readonly host: string | undefined
  readonly field: string | undefined
  /** Of the refused content, when the file could be read. */
  digest: string | undefined

  constructor (message: string, host?: string, field?: string) {
    super(message)
    this.name = 'DomainsFileError'
    this.host = host
    this.field = field
  }
}

const ENTRY_KEYS = new Set(['server', 'client', 'support'])

function serialise (host: string, field: string, document: unknown): string {
  const json = JSON.stringify(document)
  const problem = oversizeProblem(json)
  if (problem !== undefined) throw new DomainsFileError(`host "${host}": ${field} ${problem}`, host, field)
  return json
}

function entryDocuments (host: string, entry: unknown): Documents {
  const fail = ({ field, problem }: FieldProblem): never => {
    throw new DomainsFileError(`host "${host}": ${field} ${problem}`, host, field)
  }
  if (!isPlainObject(entry)) fail({ field: 'entry', problem: 'is not an object with server, client or support' })
  const { server, client, support, ...rest } = entry as Record<string, unknown>
  const unknown = Object.keys(rest).find(key => !ENTRY_KEYS.has(key))
  if (unknown !== undefined) fail({ field: unknown, problem: 'is not one of server, client, support' })
  if (server === undefined && client === undefined && support === undefined) fail({ field: 'entry', problem: 'has none of server, client, support' })
  const documents: { server?: string, client?: string, support?: string } = {}
  if (server !== undefined) {
    if (typeof server !== 'string') fail({ field: 'server', problem: 'is not a string such as "matrix.example.com:443"' })
    const parsed = parseServerName(server as string)
    if (parsed.problem !== undefined) fail({ field: 'server', problem: parsed.problem })
    documents.server = serialise(host, 'server', { 'm.server': server })
  }
  if (client !== undefined) {
    const problem = clientDocumentProblem(client)
    if (problem !== undefined) fail(problem)
    documents.client = serialise(host, 'client', client)
  }
  if (support !== undefined) {
    const problem = supportDocumentProblem(support)
    if (problem !== undefined) fail(problem)
    documents.support = serialise(host, 'support', support)
  }
  return Object.freeze(documents)
}

/** Parses and validates a domains file's text; throws DomainsFileError naming the host and field. */
export function parseDomains (text: string, yaml: boolean): ReadonlyMap<string, Documents> {
  let content: unknown
  try {
    content = yaml ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    throw new DomainsFileError(`is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!isPlainObject(content)) throw new DomainsFileError('is not an object mapping hostnames to their documents')
  const domains = new Map<string, Documents>()
  for (const [key, entry] of Object.entries(content)) {
    const host = key.toLowerCase()
    const parsed = parseServerName(host)
    if (parsed.problem !== undefined) throw new DomainsFileError(`host "${key}" ${parsed.problem}`, key, 'hostname')
    if (parsed.value.port !== undefined) throw new DomainsFileError(`host "${key}" has a port: give the hostname only`, key, 'hostname')
    if (domains.has(host)) throw new DomainsFileError(`host "${key}" is listed twice`, key, 'hostname')
    domains.set(host, entryDocuments(key, entry))
  }
  if (domains.size === 0) throw new DomainsFileError('lists no hostname')
  return domains
}

/** Reads the file (through symlinks, as Kubernetes ConfigMaps need) and parses it. */
export function loadDomainsFile (path: string): DomainsSnapshot {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new DomainsFileError(`cannot be read: ${(err as Error).message}`)
  }
  const digest = createHash('sha256').update(text).digest('hex')
  try {
    return Object.freeze({ file: path, domains: parseDomains(text, /\.ya?ml$/i.test(path)), digest })
  } catch (err) {
    (err as DomainsFileError).digest = digest
    throw err
  }
}

/** The request's Host as a key of the file: lower case, without port or trailing dot. */
export function hostKey (host: string | undefined): string {
  if (host === undefined) return ''
  let key = host.toLowerCase()
  const end = key.startsWith('[') ? key.indexOf(']') + 1 : key.indexOf(':')
  if (end > 0) key = key.slice(0, end)
  return key.endsWith('.') ? key.slice(0, -1) : key
}

export interface DomainsChange {
  readonly hosts: number
  readonly added: number
  readonly removed: number
  readonly changed: number
}

export function compareDomains (before: ReadonlyMap<string, Documents>, after: ReadonlyMap<string, Documents>): DomainsChange {
  let added = 0
  let changed = 0
  for (const [host, documents] of after) {
    const old = before.get(host)
    if (old === undefined) added++
    else if (old.server !== documents.server || old.client !== documents.client || old.support !== documents.support) changed++
  }
  const removed = [...before.keys()].filter(host => !after.has(host)).length
  return { hosts: after.size, added, removed, changed }
}

export interface ReloaderOptions {
  /** What was loaded at start-up; its file is the one watched. */
  readonly initial: DomainsSnapshot
  /** Swaps the new set in; called only with a fully valid one. */
  readonly apply: (domains: ReadonlyMap<string, Documents>) => void
  readonly log: {
    info: (fields: object, message: string) => void
    error: (fields: object, message: string) => void
  }
  /** Quiet time after the last change notification before the file is read. */
  readonly debounceMs?: number
}

/**
 * Reloads the domains file on request (SIGHUP) and when its directory changes.
 * Watching the directory, not the file, sees an editor's atomic rename and a
 * Kubernetes ConfigMap update (a symlink swap) alike; the digest then tells a
 * real change from a touch.
 */
export function startReloader (options: ReloaderOptions): { reload: (reason: string) => void, close: () => void } {
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
      const { host, field, message, digest } = err as DomainsFileError
      if (reason === 'change' && digest !== undefined && digest === lastSeen) return
      lastSeen = digest ?? lastSeen
      log.error({ file: path, host, field, reason }, `domains file refused, still serving the last good one: ${path} ${message}`)
      return
    }
    if (reason === 'change' && next.digest === lastSeen) return
    lastSeen = next.digest
    const change = compareDomains(current.domains, next.domains)
    apply(next.domains)
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
