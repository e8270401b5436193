// A prepared response on the wire: written to node:http for a request Fastify
// routed, or as the bytes of a whole HTTP/1.1 message for a socket it never saw.
import type { FastifyReply } from 'fastify'
import type { PreparedResponse } from './responses.js'

// From process.getBuiltinModule for the reason fixed-answers.ts gives.
const { STATUS_CODES } = process.getBuiltinModule('node:http')

/**
 * Writes a prepared response straight to node:http. Fastify's send() would copy
 * and re-validate every header on each request; taking over the reply skips only
 * that (onResponse hooks still run). Node drops the body of HEAD and 304 answers
 * itself and merges a Connection header set beforehand. Returns nothing, so that
 * Fastify does not wait on the reply as on a promise.
 */
export function sendPrepared (reply: FastifyReply, response: PreparedResponse): void {
  reply.hijack()
  reply.raw.writeHead(response.statusCode, response.rawHeaders())
  reply.raw.end(response.body)
}

/** A prepared response as the bytes of a whole HTTP/1.1 message that closes its connection. */
export function messageBytes (response: PreparedResponse): Buffer {
  const lines = [`HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode]}`]
  const headers = response.rawHeaders()
  for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`)
  lines.push('connection: close', '', '')
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), response.body ?? Buffer.alloc(0)])
}
