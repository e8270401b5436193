// Runs in a worker thread: reads, parses and validates the domains file there,
// so that a reload of a large file never holds up an answer on the main thread.
// The hosts go back a slice at a time (slices.ts), the next only when the main
// thread asks for it: queued messages would all be taken in at once.
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { loadDomainsFile, yamlParserFor, type DomainsFileError, type DomainsSnapshot } from './file.js'
import { DOCUMENT_NAMES } from '../documents.js'
import { HOSTS_PER_SLICE } from './slices.js'

export type HostEntry = [host: string, ...bodies: Array<string | undefined>]

export type WorkerMessage =
  | { readonly hosts: HostEntry[] }
  | { readonly done: Pick<DomainsSnapshot, 'file' | 'digest' | 'warnings'> }
  | { readonly refused: Readonly<Pick<DomainsFileError, 'message' | 'host' | 'field' | 'digest'>> }

// A lower CPU priority for this thread alone (on Linux the nice value is per
// thread): on a small machine the reload's parsing then yields to the thread
// that answers requests instead of competing with it as an equal. A lower
// priority still starved it under a saturating load (docs/performance.md).
const WORKER_NICENESS = 5
if (process.platform === 'linux') setPriority(WORKER_NICENESS)

const port = parentPort!
const { path } = workerData as { path: string }
const parseYaml = await yamlParserFor(path)
try {
  const snapshot = loadDomainsFile(path, parseYaml)
  const entries: HostEntry[] = [...snapshot.hosts]
    .map(([host, bodies]) => [host, ...DOCUMENT_NAMES.map(name => bodies[name])])
  let sent = 0
  const sendNext = () => {
    if (sent < entries.length) {
      port.postMessage({ hosts: entries.slice(sent, sent + HOSTS_PER_SLICE) } satisfies WorkerMessage)
      sent += HOSTS_PER_SLICE
    } else {
      const { file, digest, warnings } = snapshot
      port.postMessage({ done: { file, digest, warnings } } satisfies WorkerMessage)
      port.close()
    }
  }
  port.on('message', sendNext)
  sendNext()
} catch (err) {
  const { message, host, field, digest } = err as DomainsFileError
  port.postMessage({ refused: { message, host, field, digest } } satisfies WorkerMessage)
}
