// Multi-domain mode: which customer's documents a request gets, by the host it
// names. A host that is not in the table gets none: never another's.
import type { FastifyRequest } from 'fastify'
import { sameDocuments, type DocumentBodies } from '../documents.js'
import type { PreparedDocuments } from '../responses.js'
import { urlAuthority } from '../validators.js'

/** A request's host as a key of the table: lower case, without port or trailing dot. */
export function hostKey (host: string | undefined): string {
  if (host === undefined) return ''
  let key = host.toLowerCase()
  const end = key.startsWith('[') ? key.indexOf(']') + 1 : key.indexOf(':')
  if (end > 0) key = key.slice(0, end)
  return key.endsWith('.') ? key.slice(0, -1) : key
}

/**
 * The host a request is for: the authority of an absolute-form target (RFC 9112
 * §3.2.2: it wins over Host), else the request's own Host. X-Forwarded-Host
 * only when the proxy in front is trusted and says it overwrites that header:
 * otherwise any client could pick another customer's answer, and a shared
 * cache in front would keep it for everybody.
 */
export function requestHost (request: FastifyRequest, trustForwardedHost: boolean): string | undefined {
  const target = request.raw.url!
  if (!target.startsWith('/')) return urlAuthority(target)
  return trustForwardedHost ? request.host : request.headers.host
}

/** RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host header, an HTTP/1.0 one at most one; otherwise 400. */
export function hasValidHost (rawHeaders: readonly string[], httpVersion: string): boolean {
  let hosts = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++
  }
  return hosts === 1 || (hosts === 0 && httpVersion === '1.0')
}

export interface HostTable {
  /** The prepared documents for a request's host, or undefined for an unknown host. */
  readonly lookup: (host: string | undefined) => PreparedDocuments | undefined
  /**
   * Prepares a whole new set, a slice at a time so that answers go on in
   * between, then swaps it in at once. A host whose documents did not change
   * keeps what was prepared for it.
   */
  readonly replace: (hosts: ReadonlyMap<string, DocumentBodies>) => Promise<void>
}

// About 5 ms of work on this machine: a request that arrives during a reload
// waits at most that long (1000 hosts, 20 ms, put the reload's p99 at 4.6× the steady one).
const HOSTS_PER_SLICE = 250

export function createHostTable (prepare: (bodies: DocumentBodies) => PreparedDocuments,
  hosts: ReadonlyMap<string, DocumentBodies>): HostTable {
  // At start-up, before anything listens: all at once.
  const initial = new Map<string, PreparedDocuments>()
  for (const [host, documents] of hosts) initial.set(host, prepare(documents))
  let table: ReadonlyMap<string, PreparedDocuments> = initial
  // What the table was prepared from (the same map the reloader keeps to count
  // changes): a reload that changes a few hosts of thousands then prepares a few,
  // instead of hashing and allocating every document again.
  let sources = hosts
  return {
    lookup: host => table.get(hostKey(host)),
    async replace (next) {
      const prepared = new Map<string, PreparedDocuments>()
      let inSlice = 0
      for (const [host, documents] of next) {
        const before = sources.get(host)
        prepared.set(host, before !== undefined && sameDocuments(before, documents) ? table.get(host)! : prepare(documents))
        if (++inSlice === HOSTS_PER_SLICE) {
          inSlice = 0
          await new Promise(resolve => setImmediate(resolve))
        }
      }
      // One assignment swaps the whole set: a request sees the old one or the new one.
      table = prepared
      sources = next
    }
  }
}
