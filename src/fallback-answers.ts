// What the app answers when no route does, or when Fastify refuses a request
// itself: always one of the prepared JSON answers, never Fastify's own.
import type { FastifyInstance } from 'fastify'
import type { Logger } from './logger.js'
import { RESPONSES, clientErrorResponse, sendPrepared } from './responses.js'
import { documentOf } from './routes/well-known.js'

export function addFallbackAnswers (app: FastifyInstance, log: Logger): void {
  // A document path without a route for the method: a method Fastify does not
  // route (PROPFIND, LINK…) is as unwelcome there as POST.
  app.setNotFoundHandler((request, reply) =>
    sendPrepared(reply, documentOf(request.url) !== undefined ? RESPONSES.methodNotAllowed : RESPONSES.notFound))

  app.setErrorHandler((error: Error & { statusCode?: number, code?: string }, request, reply) => {
    // Fastify refuses QUERY without a Content-Type before any route runs.
    if (error.code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE') return sendPrepared(reply, RESPONSES.methodNotAllowed)
    const status = error.statusCode
    /* c8 ignore start -- only Fastify's 4xx errors reach this; a future bug still answers JSON and logs its stack */
    if (status === undefined || status >= 500) {
      log.error({ err: error }, 'request failed')
      return sendPrepared(reply, RESPONSES.internalError)
    }
    /* c8 ignore stop */
    return sendPrepared(reply, clientErrorResponse(status))
  })
}
