// Prometheus metrics, for a port of their own (METRICS_PORT): which documents
// are asked for and how they are answered, the domains file's hosts and
// reloads (so that an alert fires when a refused file goes unnoticed), and the
// process's standard metrics. Loaded only when the port is set.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export type ReloadOutcome = 'applied' | 'refused'

export interface Metrics {
  /** One answered request: the document (or `probe`, `other`) and its status. */
  readonly countRequest: (document: string, status: number) => void
  /** A reload that swapped a new set in, or one that was refused. */
  readonly countReload: (outcome: ReloadOutcome, hosts?: number) => void
  readonly setHosts: (hosts: number) => void
  /** The metrics endpoint: GET /metrics in Prometheus's text format, 404 elsewhere. */
  readonly handle: (request: IncomingMessage, response: ServerResponse) => void
}

export function createMetrics (): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'matrix_well_known_requests_total',
    help: 'Requests answered, by document (server, client, support, policy_server; probe; other) and status.',
    labelNames: ['document', 'status'] as const,
    registers: [registry]
  })
  const hosts = new Gauge({
    name: 'matrix_well_known_hosts',
    help: 'Hosts served from the domains file (multi-domain mode).',
    registers: [registry]
  })
  const reloads = new Counter({
    name: 'matrix_well_known_domains_reloads_total',
    help: 'Reloads of the domains file, by outcome: applied, or refused (the last good set is still served).',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  const lastSuccess = new Gauge({
    name: 'matrix_well_known_domains_last_success_timestamp_seconds',
    help: 'When the domains file was last loaded (at start-up or by a reload) and applied, in Unix seconds.',
    registers: [registry]
  })

  return {
    countRequest: (document, status) => requests.inc({ document, status }),
    countReload (outcome, count) {
      reloads.inc({ outcome })
      if (outcome === 'applied') {
        lastSuccess.set(Date.now() / 1000)
        if (count !== undefined) hosts.set(count)
      }
    },
    setHosts (count) {
      hosts.set(count)
      lastSuccess.set(Date.now() / 1000)
    },
    handle (request, response) {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n')
        return
      }
      registry.metrics().then(text => {
        response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text)
      /* c8 ignore next 3 -- prom-client rejects only when a collector throws, and none of ours does; an unhandled rejection would stop the service */
      }, () => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n')
      })
    }
  }
}
