// The server's limits, and the answer to requests Node's HTTP parser refuses
// before they ever reach Fastify.
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { RESPONSES, clientErrorResponse, messageBytes, type PreparedResponse } from './responses.js'

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

export type ServerLimits = { readonly [Limit in keyof typeof SERVER_LIMITS]: number }

const STATUS_BY_PARSER_ERROR: Readonly<Record<string, number>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431
}

const RAW_ANSWERS = new Map([400, 408, 431].map(status => [status, messageBytes(clientErrorResponse(status))]))

/** Requests Node's parser refuses never reach Fastify: answer them in the same JSON shape. */
export function clientErrorHandler (error: Error & { code?: string }, socket: Socket): void {
  // A client that reset or left has nothing left to read.
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(RAW_ANSWERS.get(STATUS_BY_PARSER_ERROR[String(error.code)] ?? 400) as Buffer)
}

const EXPECTATION_FAILED: PreparedResponse = clientErrorResponse(417)
const CONNECT_REFUSED = messageBytes(RESPONSES.methodNotAllowed)

/**
 * The answers node:http would otherwise give itself, without JSON or CORS: 417
 * for an Expect it does not know, and nothing at all (a closed connection) for
 * CONNECT.
 */
export function answerOutsideFastify (server: Server): void {
  server.on('checkExpectation', (request, response) => {
    response.writeHead(EXPECTATION_FAILED.statusCode, EXPECTATION_FAILED.rawHeaders())
    response.end(EXPECTATION_FAILED.body)
  })
  server.on('connect', (request, socket: Socket) => {
    socket.on('error', () => {})
    socket.end(CONNECT_REFUSED)
  })
}
