// With METRICS_PORT set: every answer counted by document and status,
// wherever it is produced — by a route, a guard, a fallback, or node:http's
// own events — so that an attack shows in the graphs. Only the types of
// metrics.ts are imported, so that prom-client stays unloaded when metrics are off.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { documentAtPath, targetPath } from './documents.js'

const PROBES = new Set(['/healthz', '/readyz'])

/** Counts one answer: the document (or `probe`, `other`) and its status. */
export type AnswerCounter = (document: string, status: number) => void

/**
 * The label of a request target: its document however its path is spelled,
 * `probe` or `other` (never the raw path, whose values are unbounded).
 */
export function documentLabel (url: string): string {
  return documentAtPath(url) ?? (PROBES.has(targetPath(url)) ? 'probe' : 'other')
}

/** Counts every answer written through node:http, once it has gone out. */
export function countAnswers (server: Server, count: AnswerCounter): void {
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    response.once('finish', () => count(documentLabel(request.url!), response.statusCode))
  }
  server.on('request', onRequest)
  server.on('checkExpectation', onRequest)
}
