// buildApp turns a validated Config into a ready Fastify instance. It does no I/O
// of its own (no listening, no env, no signals), so tests build the real app.
import { STATUS_CODES } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino'
import type { Config, Documents } from './config.js'
import { hostKey } from './domains.js'
import { RESPONSES, documentPreparer, prepareJson, sendPrepared, type DocumentSet } from './documents.js'
import { healthRoutes } from './routes/health.js'
import { wellKnownRoutes } from './routes/well-known.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The service's logger. Fastify itself runs without one, so `app.log` and
     * `request.log` are silent: its per-request child loggers and response
     * listeners cost about a tenth of our throughput, for request lines that are
     * off by default (LOG_REQUESTS).
     */
    logger: Logger
    /** Starts the drain: /readyz answers 503 and every response closes its connection. */
    beginDrain: () => void
    /** Drains for drainMs, stops listening, lets open connections finish, then closes the app. */
    drainAndClose: (drainMs: number) => Promise<void>
    /** Multi-domain mode: prepares a new set of documents, then swaps it in at once. */
    setDomains: (domains: ReadonlyMap<string, Documents>) => void
  }
  interface FastifyContextConfig {
    /** Probe routes: their request lines are logged at debug, not info. */
    quiet?: boolean
  }
}

export interface AppOptions {
  /** Where JSON log lines go; standard output when omitted. */
  readonly logStream?: DestinationStream
}

// The documents take no body and fit in a packet: small limits leave slow or
// hostile clients nothing to hold on to.
export const SERVER_LIMITS = Object.freeze({
  bodyLimit: 1024, // bytes; a request body is read only to be refused
  headersTimeout: 10_000, // ms to receive the request line and headers
  requestTimeout: 10_000, // ms for the whole request
  // Above the idle timeout of common proxies and load balancers (60 s), so that
  // they, not we, close an idle upstream connection and never reuse a closing one.
  keepAliveTimeout: 72_000, // ms
  maxHeaderSize: 16_384, // bytes, Node's default: apex requests can carry large cookies
  connectionsCheckingInterval: 1000, // ms between checks of the two timeouts above
  // After the listener closes: time for requests already on their way over open
  // connections to arrive and be answered, before idle connections are closed.
  closeLingerMs: 1000
})

const CLIENT_ERRORS: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431
}

function rawErrorResponse (statusCode: number): Buffer {
  const body = JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: STATUS_CODES[statusCode] })
  return Buffer.from(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
}

const RAW_CLIENT_ERRORS = new Map([400, 408, 431].map(status => [status, rawErrorResponse(status)]))

/** Requests Node's parser refuses never reach Fastify: answer them in the same JSON shape. */
function clientErrorHandler (error: Error & { code?: string }, socket: Socket): void {
  // A client that reset or left has nothing left to read.
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(RAW_CLIENT_ERRORS.get(CLIENT_ERRORS[String(error.code)] ?? 400) as Buffer)
}

/** One line per request, and none unless LOG_REQUESTS is on: the reverse proxy in front already keeps an access log. */
function requestLine (request: FastifyRequest, reply: FastifyReply) {
  return {
    method: request.method,
    path: request.url,
    status: reply.statusCode,
    responseTime: Math.round(reply.elapsedTime * 100) / 100, // ms
    remoteAddress: request.ip
  }
}

// No route declares a schema: without these Fastify would load Ajv and
// fast-json-stringify at start-up, a tenth of the time to the first answer.
/* c8 ignore next -- unreachable until a route declares a schema */
const noSchemas = () => () => { throw new Error('matrix-well-known routes declare no schemas') }

export async function buildApp (config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const logger = pino({ level: config.logLevel, timestamp: stdTimeFunctions.isoTime }, options.logStream)
  const app = fastify({
    // Fastify's types omit the hop count that proxy-addr and Fastify accept.
    trustProxy: config.trustProxy as boolean | string[],
    // A request that reaches us while we close still gets its document (with
    // Connection: close): a 503 makes a browser client stop at login.
    return503OnClosing: false,
    bodyLimit: SERVER_LIMITS.bodyLimit,
    requestTimeout: SERVER_LIMITS.requestTimeout,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeout,
    http: {
      headersTimeout: SERVER_LIMITS.headersTimeout,
      maxHeaderSize: SERVER_LIMITS.maxHeaderSize,
      connectionsCheckingInterval: SERVER_LIMITS.connectionsCheckingInterval
    },
    clientErrorHandler,
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    // Only a malformed URL escape reaches this (FST_ERR_BAD_URL).
    frameworkErrors: (_badUrl, request, reply) => sendPrepared(reply, RESPONSES.badRequest)
  })

  app.decorate('logger', logger)
  if (config.logRequests) {
    app.addHook('onResponse', (request, reply, done) => {
      // Probes would drown everything else at info level.
      if (request.routeOptions.config.quiet === true) logger.debug(requestLine(request, reply), 'request')
      else logger.info(requestLine(request, reply), 'request')
      done()
    })
  }

  let draining = false
  const isDraining = () => draining
  const beginDrain = () => { draining = true }
  app.decorate('beginDrain', beginDrain)
  app.decorate('drainAndClose', async (drainMs: number) => {
    beginDrain()
    await sleep(drainMs)
    // http.Server#close (Node >= 19) also closes every connection that is idle
    // at that instant, including ones accepted a moment ago whose request is still
    // in flight: their clients see a reset. Stop accepting at the net level
    // instead; each connection then closes after its answer (we are draining),
    // and only what is still idle after the linger is closed for it.
    const stopped = new Promise(resolve => NetServer.prototype.close.call(app.server, resolve))
    const linger = setTimeout(() => app.server.closeIdleConnections(), SERVER_LIMITS.closeLingerMs)
    await stopped
    clearTimeout(linger)
    await app.close()
  })

  // Bodies are never used: read (up to bodyLimit) and drop whatever arrives, so
  // that any method other than GET, HEAD and OPTIONS meets its 405.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => { done(null) })

  app.setNotFoundHandler((request, reply) => sendPrepared(reply, RESPONSES.notFound))
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode
    /* c8 ignore start -- only Fastify's 4xx errors reach this; a future bug still answers JSON and logs its stack */
    if (status === undefined || status >= 500) {
      logger.error({ err: error }, 'request failed')
      return sendPrepared(reply, RESPONSES.internalError)
    }
    /* c8 ignore stop */
    return sendPrepared(reply, prepareJson(status,
      JSON.stringify({ errcode: status === 413 ? 'M_TOO_LARGE' : 'M_UNRECOGNIZED', error: STATUS_CODES[status] })))
  })

  const prepare = documentPreparer(config.cacheMaxAge)
  const prepareDomains = (domains: ReadonlyMap<string, Documents>) =>
    new Map([...domains].map(([host, documents]) => [host, prepare(documents)]))
  // One assignment swaps the whole set: a request sees the old one or the new one.
  let domainTable: ReadonlyMap<string, DocumentSet> = config.domains === undefined ? new Map() : prepareDomains(config.domains.domains)
  app.decorate('setDomains', (domains: ReadonlyMap<string, Documents>) => { domainTable = prepareDomains(domains) })

  const single = prepare(config.documents)
  await app.register(wellKnownRoutes, {
    // By Host (X-Forwarded-Host behind a trusted proxy): never another customer's documents.
    documentsFor: config.domains === undefined ? () => single : request => domainTable.get(hostKey(request.host)),
    isDraining
  })
  await app.register(healthRoutes, { isDraining })
  await app.ready()
  return app
}
