// What every request meets before a route runs or any body is read: whether
// its answer closes the connection, then exactly one valid Host, a method its
// path answers, and no announced body larger than the limit. A request
// refused here never has its body read.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { documentAtPath } from './documents.js'
import { clientErrorResponse, FIXED_ANSWERS } from './fixed-answers.js'
import { ALLOWED_METHODS } from './header-policy.js'
import { hasValidHost } from './request-host.js'
import type { PreparedResponse } from './responses.js'
import { sendPrepared } from './wire.js'

const ALLOWED = new Set<string>(ALLOWED_METHODS)
const TOO_LARGE = clientErrorResponse(413)

export interface GuardOptions {
  /** Bytes: a larger announced body is refused with 413 before it is read. */
  readonly bodyLimit: number
  /** Once the drain has begun, every answer closes its connection. */
  readonly isDraining: () => boolean
}

export function addRequestGuards (app: FastifyInstance, options: GuardOptions): void {
  const { bodyLimit, isDraining } = options
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw
    // Keep-alive clients move to a replica that is staying; after an Upgrade
    // request node:http reads nothing more from the connection.
    if (isDraining() || raw.headers.upgrade !== undefined) reply.raw.setHeader('connection', 'close')
    const refusal = refusalOf(raw, bodyLimit)
    if (refusal === undefined) {
      // A body is read only to be refused, and the documents' methods take none:
      // one sent in chunks, whose size is unknown, is not read at all.
      if (raw.headers['transfer-encoding'] !== undefined) closeUnreadBody(raw, reply.raw)
      return done()
    }
    closeUnreadBody(raw, reply.raw)
    sendPrepared(reply, refusal)
  })
}

/** The answer that refuses a request before any route, or undefined to let it through. */
function refusalOf (request: IncomingMessage, bodyLimit: number): PreparedResponse | undefined {
  if (!hasValidHost(request.rawHeaders, request.httpVersion)) return FIXED_ANSWERS.badRequest
  if (!ALLOWED.has(request.method!) && documentAtPath(request.url!) !== undefined) return FIXED_ANSWERS.methodNotAllowed
  if (Number(request.headers['content-length'] ?? 0) > bodyLimit) return TOO_LARGE
  return undefined
}

/** An answer given before the body was read: the connection closes after it, so that the body is never read. */
export function closeUnreadBody (request: IncomingMessage, response: ServerResponse): void {
  const length = request.headers['content-length']
  if (request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    response.setHeader('connection', 'close')
  }
}
