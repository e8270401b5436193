// Every answer that no route gives: what the app answers when no route
// matches or Fastify refuses a request itself, and what node:http would answer
// on its own before Fastify sees a request. Always one of the prepared JSON
// answers, never Fastify's or Node's own.
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { clientErrorResponse, FIXED_ANSWERS } from './fixed-answers.js'
import type { Logger } from './logger.js'
import type { AnswerCounter } from './request-metrics.js'
import { messageBytes, sendPrepared } from './wire.js'

export function addFallbackAnswers (app: FastifyInstance, log: Logger): void {
  // A document path never gets here: every method it answers has a route, and
  // the request guards answer every other one with 405.
  app.setNotFoundHandler((request, reply) => sendPrepared(reply, FIXED_ANSWERS.notFound))

  app.setErrorHandler((error: Error & { statusCode?: number, code?: string }, request, reply) => {
    // Fastify refuses QUERY without a Content-Type before any route runs.
    if (error.code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE') return sendPrepared(reply, FIXED_ANSWERS.methodNotAllowed)
    const status = error.statusCode
    /* c8 ignore start -- only Fastify's 4xx errors reach this; a future bug still answers JSON and logs its stack */
    if (status === undefined || status >= 500) {
      log.error({ err: error }, 'request failed')
      return sendPrepared(reply, FIXED_ANSWERS.internalError)
    }
    /* c8 ignore stop */
    return sendPrepared(reply, clientErrorResponse(status))
  })
}

/**
 * Fastify's frameworkErrors option: only a malformed URL escape reaches it
 * (FST_ERR_BAD_URL), a client's mistake to answer, not an error to log.
 */
export function answerFrameworkError (_badUrl: Error, request: FastifyRequest, reply: FastifyReply): void {
  sendPrepared(reply, FIXED_ANSWERS.badRequest)
}

const STATUS_BY_PARSER_ERROR: Readonly<Record<string, number>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431
}

const PARSER_ANSWERS = new Map([400, 408, 431].map(status => [status, messageBytes(clientErrorResponse(status))]))

/**
 * For Fastify's clientErrorHandler option: what Node's parser refuses never
 * reaches Fastify, and is answered here, and counted as `other` (its target
 * is not known) when metrics are on.
 */
export function parserRefusals (count?: AnswerCounter): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    // A client that reset or left has nothing left to read.
    if (!socket.writable) {
      socket.destroy()
      return
    }
    const status = STATUS_BY_PARSER_ERROR[String(error.code)] ?? 400
    socket.end(PARSER_ANSWERS.get(status) as Buffer)
    count?.('other', status)
  }
}

const EXPECTATION_FAILED = clientErrorResponse(417)
const CONNECT_REFUSED = messageBytes(FIXED_ANSWERS.methodNotAllowed)

/**
 * The answers node:http would otherwise give itself, without JSON or CORS: 417
 * for an Expect it does not know, and nothing at all (a closed connection) for
 * CONNECT. The 417 closes its connection: the body the client meant to send
 * after its expectation is never read.
 */
export function replaceNodeAnswers (server: Server, count?: AnswerCounter): void {
  server.on('checkExpectation', (request, response) => {
    response.setHeader('connection', 'close')
    response.writeHead(EXPECTATION_FAILED.statusCode, EXPECTATION_FAILED.rawHeaders())
    response.end(EXPECTATION_FAILED.body)
  })
  server.on('connect', (request, socket: Socket) => {
    socket.on('error', () => {})
    socket.end(CONNECT_REFUSED)
    count?.('other', FIXED_ANSWERS.methodNotAllowed.statusCode)
  })
}
