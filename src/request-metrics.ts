// With METRICS_PORT set: each answered request counted by document and status.
// Only the types of metrics.ts are imported, so that prom-client stays unloaded
// when metrics are off.
import type { FastifyInstance } from 'fastify'
import type { Metrics } from './metrics.js'
import { documentAtPath, targetPath } from './documents.js'

const PROBES = new Set(['/healthz', '/readyz'])

/** The label of a request target: its document, `probe` or `other` (never the raw path, whose values are unbounded). */
export function documentLabel (url: string): string {
  return documentAtPath(url) ?? (PROBES.has(targetPath(url)) ? 'probe' : 'other')
}

export function addRequestMetrics (app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.countRequest(documentLabel(request.url), reply.statusCode)
    done()
  })
}
