// Loads the domains file in a worker thread (worker.ts) and
// rebuilds the snapshot on this one a slice of hosts at a time.
import { Worker } from 'node:worker_threads'
import { DOCUMENT_NAMES, type DocumentBodies, type DocumentName } from '../documents.js'
import { DomainsFileError, type DomainsSnapshot } from './file.js'
import type { WorkerMessage } from './worker.js'

/** A loader for the reloader: `workerUrl` is the compiled worker.js, at domains/worker.js beside the entry point. */
export function workerLoader (workerUrl: URL): (path: string) => Promise<DomainsSnapshot> {
  return path => new Promise((resolve, reject) => {
    const hosts = new Map<string, DocumentBodies>()
    const worker = new Worker(workerUrl, { workerData: { path } })
    worker.on('message', (message: WorkerMessage) => {
      if ('hosts' in message) {
        for (const [host, ...bodies] of message.hosts) {
          const documents: Partial<Record<DocumentName, string>> = {}
          DOCUMENT_NAMES.forEach((name, index) => { if (bodies[index] !== undefined) documents[name] = bodies[index] })
          hosts.set(host, Object.freeze(documents))
        }
        // The next slice in a later turn: answers come first.
        setImmediate(() => worker.postMessage('next'))
      } else if ('done' in message) {
        resolve(Object.freeze({ ...message.done, hosts }))
      } else {
        const { message: text, host, field, digest } = message.refused
        reject(Object.assign(new DomainsFileError(text, host, field), { digest }))
      }
    })
    // A worker that dies (out of memory, a bug) is a failed reload, never a crash.
    worker.on('error', err => reject(new DomainsFileError(`could not be loaded: ${err.message}`)))
  })
}
