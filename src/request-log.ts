// One line per request, and none unless LOG_REQUESTS is on: the reverse proxy
// in front already keeps an access log, and the line costs throughput (docs/performance.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probe routes: their request lines are logged at debug, not info. */
    quiet?: boolean
  }
}

function requestLine (request: FastifyRequest, reply: FastifyReply) {
  return {
    method: request.method,
    path: request.url,
    status: reply.statusCode,
    responseTime: Math.round(reply.elapsedTime * 100) / 100, // ms
    remoteAddress: request.ip
  }
}

export function addRequestLog (app: FastifyInstance, log: Logger): void {
  // A callback hook: an async one would cost a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    // Probes would drown everything else at info level.
    if (request.routeOptions.config.quiet === true) log.debug(requestLine(request, reply), 'request')
    else log.info(requestLine(request, reply), 'request')
    done()
  })
}
