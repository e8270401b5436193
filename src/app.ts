// buildApp turns a validated Config into a ready Fastify instance. It does no I/O
// of its own (no listening, no env, no signals), so tests build the real app.
import fastify, { type FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { createHostTable, type HostTable } from './domains/host-table.js'
import { addDrain } from './drain.js'
import { addFallbackAnswers, answerFrameworkError, parserRefusals, replaceNodeAnswers } from './fallback-answers.js'
import { documentErrors } from './fixed-answers.js'
import { SERVER_LIMITS, type ServerLimits } from './limits.js'
import { createLogger, type Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import { addRequestGuards } from './request-guards.js'
import { requestHost } from './request-host.js'
import { addRequestLog } from './request-log.js'
import { countAnswers } from './request-metrics.js'
import { documentPreparer } from './responses.js'
import { healthRoutes } from './routes/health.js'
import { wellKnownRoutes } from './routes/well-known.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Multi-domain mode: prepares a new set of hosts' documents, then swaps it in at once. */
    replaceHosts: HostTable['replace']
  }
}

export interface AppOptions {
  /** The service's logger; JSON lines on standard output when omitted. */
  readonly log?: Logger
  /** Tighter limits than production's, for tests that would otherwise wait them out. */
  readonly limits?: Partial<ServerLimits>
  /** With METRICS_PORT: requests are counted here. */
  readonly metrics?: Metrics
}

// No route declares a schema: without these Fastify would load Ajv and
// fast-json-stringify at start-up, for nothing (docs/performance.md).
/* c8 ignore next -- unreachable until a route declares a schema */
const noSchemas = () => () => { throw new Error('matrix-well-known routes declare no schemas') }

export async function buildApp (config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const log = options.log ?? createLogger(config.logLevel)
  const limits = { ...SERVER_LIMITS, ...options.limits }
  const count = options.metrics?.countRequest
  const app = fastify({
    // Addresses and ranges as checked by config.ts with proxy-addr (Fastify's types want a mutable list).
    trustProxy: config.trustProxy as boolean | string[],
    // A request that reaches us while we close still gets its document (with
    // Connection: close): a 503 makes a browser client stop at login.
    return503OnClosing: false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    http: {
      headersTimeout: limits.headersTimeout,
      maxHeaderSize: limits.maxHeaderSize,
      connectionsCheckingInterval: limits.connectionsCheckingInterval,
      // Node's own 400 has neither JSON nor CORS: the request guards check Host themselves.
      requireHostHeader: false
    },
    clientErrorHandler: parserRefusals(count),
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    frameworkErrors: answerFrameworkError
  })

  // Every header line is kept, so that a second Host cannot hide after thousands of others;
  // maxHeaderSize still bounds them all.
  app.server.maxHeadersCount = 0
  replaceNodeAnswers(app.server, count)
  if (config.logRequests) addRequestLog(app, log)
  if (count !== undefined) countAnswers(app.server, count)
  const isDraining = addDrain(app, { lingerMs: limits.closeLingerMs })
  addRequestGuards(app, { bodyLimit: limits.bodyLimit, isDraining })

  // Bodies are never used. A document path refuses other methods before any body
  // is read (request guards); elsewhere a body is read (up to bodyLimit) and
  // dropped, so that its request meets its 404 whatever its content type.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => { done(null) })

  addFallbackAnswers(app, log)

  // Multi-domain answers depend on the host: a shared cache in front must keep one per host.
  const multiDomain = config.domainsFile !== undefined
  const vary = multiDomain ? (config.trustForwardedHost ? 'Host, X-Forwarded-Host' : 'Host') : undefined
  const prepare = documentPreparer(config.cacheMaxAge, vary)
  const hosts = createHostTable(prepare, config.domainsFile?.hosts ?? new Map())
  app.decorate('replaceHosts', hosts.replace)
  const singleDomainDocuments = prepare(config.documents)
  await app.register(wellKnownRoutes, {
    // By the request's own host: never another customer's documents.
    documentsFor: multiDomain
      ? request => hosts.lookup(requestHost(request, config.trustForwardedHost))
      : () => singleDomainDocuments,
    errors: documentErrors(vary)
  })
  await app.register(healthRoutes, { isDraining })
  await app.ready()
  return app
}
