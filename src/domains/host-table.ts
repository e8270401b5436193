// Multi-domain mode: which customer's documents a request gets, by the host it
// names. A host that is not in the table gets none: never another's.
import { sameDocuments, type DocumentBodies } from '../documents.js'
import { hostKey } from '../request-host.js'
import type { PreparedDocuments } from '../responses.js'
import { HOSTS_PER_SLICE, nextSlice } from './slices.js'

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
        const unchanged = before !== undefined && sameDocuments(before, documents)
        prepared.set(host, unchanged ? table.get(host)! : prepare(documents))
        if (++inSlice === HOSTS_PER_SLICE) {
          inSlice = 0
          await nextSlice()
        }
      }
      // One assignment swaps the whole set: a request sees the old one or the new one.
      table = prepared
      sources = next
    }
  }
}
