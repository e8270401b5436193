// Every response the service sends is built here once, at start-up: body bytes,
// length, ETag and the complete header set. A request only picks one.
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'
import type { Documents } from './config.js'

export const DOCUMENT_NAMES = ['server', 'client', 'support'] as const
export type DocumentName = typeof DOCUMENT_NAMES[number]

export type Headers = Readonly<Record<string, string>>

export interface PreparedResponse {
  readonly statusCode: number
  /** Every header as one flat [name, value, …] list, which node:http writes as is. */
  readonly rawHeaders: readonly string[]
  /** Undefined for 204 and 304, which carry none. */
  readonly body: Buffer | undefined
}

const flat = (headers: Headers): string[] => Object.entries(headers).flat()

function prepared (statusCode: number, headers: Headers, body?: Buffer): PreparedResponse {
  return Object.freeze({ statusCode, rawHeaders: Object.freeze(flat(headers)), body })
}

export interface PreparedDocument {
  readonly etag: string
  readonly ok: PreparedResponse
  readonly notModified: PreparedResponse
}

/** The documents one server name delegates; a missing one is answered with 404. */
export type DocumentSet = Readonly<Record<DocumentName, PreparedDocument | undefined>>

// Matrix spec, client-server API, "Web Browser Clients": every response, errors
// included, so that Element Web sees the real status instead of a "CORS error".
export const CORS_HEADERS: Headers = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization'
}

// helmet's defaults, tuned for a JSON document on somebody else's apex domain.
const HELMET_OPTIONS: HelmetOptions = {
  // Nothing here is a page: forbid every fetch and any framing.
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  // Browser clients and checkers read the documents from other origins.
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  // helmet's includeSubDomains would pin HTTPS on every subdomain of the customer's
  // domain for a year: that decision belongs to whoever runs the TLS proxy.
  strictTransportSecurity: false,
  xFrameOptions: { action: 'deny' }
}

/**
 * helmet's header set, computed once: helmet only ever sets constant headers,
 * so running it against a recording response yields exactly what it would add to
 * every real one, without rebuilding its middleware per request.
 */
function securityHeaders (): Headers {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string) { headers[name.toLowerCase()] = value },
    removeHeader () {}
  }
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {})
  return headers
}

export const SECURITY_HEADERS: Headers = Object.freeze(securityHeaders())

const JSON_TYPE = 'application/json'
// The headers every JSON answer ends with, as one flat list shared by all of them.
const CORS_AND_SECURITY = Object.freeze(flat({ ...CORS_HEADERS, ...SECURITY_HEADERS }))

/** The one header layout of every JSON answer: type, length, `extra`, then CORS and security. */
function jsonResponse (statusCode: number, json: string, extra: readonly string[]): PreparedResponse {
  const body = Buffer.from(json)
  return { statusCode, rawHeaders: ['content-type', JSON_TYPE, 'content-length', String(body.length), ...extra, ...CORS_AND_SECURITY], body }
}

export function prepareJson (statusCode: number, json: string, extra: Headers = {}): PreparedResponse {
  return Object.freeze(jsonResponse(statusCode, json, flat(extra)))
}

/**
 * Prepares documents for one cache period. Everything but the body, its length
 * and its ETag is shared between documents, which keeps a domains file of
 * thousands of hosts quick to load and small in memory.
 */
export function documentPreparer (cacheMaxAge: number): (documents: Documents) => DocumentSet {
  const cacheControl = `public, max-age=${cacheMaxAge}`

  function prepareDocument (json: string): PreparedDocument {
    // A strong validator: the same configuration always yields the same tag, so
    // every replica behind a load balancer answers If-None-Match alike.
    const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`
    const caching = ['cache-control', cacheControl, 'etag', etag]
    return {
      etag,
      ok: jsonResponse(200, json, caching),
      notModified: { statusCode: 304, rawHeaders: [...caching, ...CORS_AND_SECURITY], body: undefined }
    }
  }

  return documents => ({
    server: documents.server === undefined ? undefined : prepareDocument(documents.server),
    client: documents.client === undefined ? undefined : prepareDocument(documents.client),
    support: documents.support === undefined ? undefined : prepareDocument(documents.support)
  })
}

function matrixError (statusCode: number, errcode: string, error: string, extra?: Headers): PreparedResponse {
  return prepareJson(statusCode, JSON.stringify({ errcode, error }), extra)
}

const NOT_CONFIGURED: Record<DocumentName, string> = {
  server: 'No server delegation is configured here',
  client: 'No client discovery information is configured here',
  support: 'No support information is configured here'
}

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS'

/** The fixed answers that are not documents. */
export const RESPONSES = Object.freeze({
  notConfigured: Object.freeze(Object.fromEntries(DOCUMENT_NAMES.map(name =>
    [name, matrixError(404, 'M_NOT_FOUND', NOT_CONFIGURED[name])])) as Record<DocumentName, PreparedResponse>),
  notFound: matrixError(404, 'M_NOT_FOUND', 'Not found: this service serves /.well-known/matrix/ only'),
  methodNotAllowed: matrixError(405, 'M_UNRECOGNIZED', `Method not allowed: use ${ALLOWED_METHODS}`, { allow: ALLOWED_METHODS }),
  unknownHost: matrixError(404, 'M_NOT_FOUND', 'No delegation is configured for this host'),
  badRequest: matrixError(400, 'M_UNRECOGNIZED', 'Bad request'),
  internalError: matrixError(500, 'M_UNKNOWN', 'Internal server error'),
  // Browsers may then skip the preflight for a day.
  preflight: prepared(204, { ...CORS_HEADERS, 'access-control-max-age': '86400', ...SECURITY_HEADERS }),
  healthy: prepareJson(200, '{"status":"ok"}', { 'cache-control': 'no-store' }),
  draining: prepareJson(503, '{"status":"draining"}', { 'cache-control': 'no-store' })
})

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; "*" matches any current document. */
export function matchesIfNoneMatch (header: string, etag: string): boolean {
  if (header === etag || header === '*') return true
  for (const candidate of header.split(',')) {
    const tag = candidate.trim()
    if (tag === etag || tag === `W/${etag}` || tag === '*') return true
  }
  return false
}

/**
 * Writes a prepared response straight to node:http. Fastify's send() would copy
 * and re-validate every header on each request; taking over the reply skips only
 * that (onResponse hooks still run). Node drops the body of HEAD and 304 answers
 * itself and merges a Connection header set beforehand. Returns nothing, so that
 * Fastify does not wait on the reply as on a promise.
 */
export function sendPrepared (reply: FastifyReply, response: PreparedResponse, closeConnection = false): void {
  reply.hijack()
  if (closeConnection) reply.raw.setHeader('connection', 'close')
  reply.raw.writeHead(response.statusCode, response.rawHeaders as string[])
  reply.raw.end(response.body)
}
