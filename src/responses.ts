// The HTTP bytes of every answer, built once at start-up: status, its own
// headers as one flat list, and the body. A request only picks one and writes
// it, with the CORS and security headers every answer shares.
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'
import { DOCUMENT_NAMES, type DocumentBodies, type DocumentName } from './documents.js'

// Not `import … from 'node:http'`: on Node 22 its ESM facade reads every export,
// WebSocket included, which loads Node's bundled undici: 50 ms and 10 MB at start-up.
const { STATUS_CODES } = process.getBuiltinModule('node:http')

export type Headers = Readonly<Record<string, string>>

export interface PreparedResponse {
  readonly statusCode: number
  /** Undefined for 204 and 304, which carry none. */
  readonly body: Buffer | undefined
  /**
   * Every header as one flat [name, value, …] list, which node:http writes as
   * is: type and length when there is a body, this answer's own headers, then
   * the CORS and security headers every answer shares.
   */
  rawHeaders (): string[]
}

/** The prepared documents of one server name; a missing one is answered with 404. */
export type PreparedDocuments = Readonly<Record<DocumentName, PreparedDocument | undefined>>

/** The methods a document path answers; every other one gets 405. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const
const ALLOWED = ALLOWED_METHODS.join(', ')

// Matrix spec, client-server API, "Web Browser Clients": every response, errors
// included, so that Element Web sees the real status instead of a "CORS error".
export const CORS_HEADERS: Headers = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-allow-methods': ALLOWED,
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization'
})

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

const flat = (headers: Headers): string[] => Object.entries(headers).flat()

// The headers every answer ends with, as one flat list shared by all of them.
const CORS_AND_SECURITY = flat({ ...CORS_HEADERS, ...SECURITY_HEADERS })

export interface ResponseParts {
  /** The JSON body, already serialised; none for 204 and 304. */
  readonly json?: string
  /** Headers of this answer, written after the type and length. */
  readonly headers?: Headers
}

/** Type and length: the first headers of every answer with a body. */
const bodyHeaders = (body: Buffer): string[] => ['content-type', 'application/json', 'content-length', String(body.length)]

// Every answer's list is joined when it is written rather than stored whole: the
// 28 shared entries in each of a host's answers were most of the memory a
// domains file of thousands of hosts took, and joining copies some 40 pointers.
class FixedResponse implements PreparedResponse {
  constructor (readonly statusCode: number, private readonly headers: readonly string[], readonly body: Buffer | undefined) {
    Object.freeze(this)
  }

  rawHeaders (): string[] {
    return this.headers.concat(CORS_AND_SECURITY)
  }
}

/**
 * The one header layout of every answer: type and length when there is a body,
 * this answer's own headers, then CORS and security.
 */
export function prepareResponse (statusCode: number, parts: ResponseParts = {}): PreparedResponse {
  const own = parts.headers === undefined ? [] : flat(parts.headers)
  if (parts.json === undefined) return new FixedResponse(statusCode, own, undefined)
  const body = Buffer.from(parts.json)
  return new FixedResponse(statusCode, [...bodyHeaders(body), ...own], body)
}

/** The body of every error answer, in the Matrix spec's error shape. */
export function matrixError (errcode: string, error: string): string {
  return JSON.stringify({ errcode, error })
}

/** What every document of one cache period shares. */
interface Caching {
  readonly cacheControl: string
  /** ['vary', …] in multi-domain mode, else empty. */
  readonly varying: readonly string[]
}

/**
 * A document's answers: itself, the 200; and the 304 for its ETag (the same
 * caching headers, no body). Only the body, its length and its ETag are its own: a
 * domains file has one per document of each of its hosts, so the header lists
 * are made as they are written, in prepareResponse's layout.
 */
export class PreparedDocument implements PreparedResponse {
  readonly etag: string
  readonly body: Buffer
  readonly #caching: Caching

  constructor (json: string, caching: Caching) {
    this.body = Buffer.from(json)
    // A strong validator: the same configuration always yields the same tag, so
    // every replica behind a load balancer answers If-None-Match alike. 160 bits
    // of SHA-256, encoded straight from the digest into one short string.
    this.etag = `"${createHash('sha256').update(this.body).digest().toString('base64url', 0, 20)}"`
    this.#caching = caching
  }

  get statusCode (): number {
    return 200
  }

  get notModified (): PreparedResponse {
    return new FixedResponse(304, this.#cachingHeaders(), undefined)
  }

  rawHeaders (): string[] {
    return bodyHeaders(this.body).concat(this.#cachingHeaders(), CORS_AND_SECURITY)
  }

  #cachingHeaders (): string[] {
    return ['cache-control', this.#caching.cacheControl, 'etag', this.etag, ...this.#caching.varying]
  }
}

/** Prepares documents for one cache period, and in multi-domain mode with `Vary`. */
export function documentPreparer (cacheMaxAge: number, vary?: string): (bodies: DocumentBodies) => PreparedDocuments {
  const caching: Caching = Object.freeze({ cacheControl: `public, max-age=${cacheMaxAge}`, varying: vary === undefined ? [] : ['vary', vary] })
  const prepare = (body: string | undefined) => body === undefined ? undefined : new PreparedDocument(body, caching)
  // One object literal, one shape for every host.
  return bodies => ({
    server: prepare(bodies.server),
    client: prepare(bodies.client),
    support: prepare(bodies.support),
    policy_server: prepare(bodies.policy_server)
  })
}

const NOT_CONFIGURED: Record<DocumentName, string> = {
  server: 'No server delegation is configured here',
  client: 'No client discovery information is configured here',
  support: 'No support information is configured here',
  policy_server: 'No policy server key is configured here'
}

const error = (statusCode: number, errcode: string, message: string, headers?: Headers) =>
  prepareResponse(statusCode, { json: matrixError(errcode, message), headers })

const NO_STORE = { 'cache-control': 'no-store' }

export interface DocumentErrors {
  /** A document the host does not publish. */
  readonly notConfigured: Readonly<Record<DocumentName, PreparedResponse>>
  /** Multi-domain mode: a host that is not in the file. */
  readonly unknownHost: PreparedResponse
}

/** The 404s of the document routes; in multi-domain mode they vary by host like the documents. */
export function documentErrors (vary?: string): DocumentErrors {
  const headers = vary === undefined ? undefined : { vary }
  return Object.freeze({
    notConfigured: Object.freeze(Object.fromEntries(DOCUMENT_NAMES.map(name =>
      [name, error(404, 'M_NOT_FOUND', NOT_CONFIGURED[name], headers)])) as Record<DocumentName, PreparedResponse>),
    unknownHost: error(404, 'M_NOT_FOUND', 'No delegation is configured for this host', headers)
  })
}

/** The fixed answers that are not documents. */
export const RESPONSES = Object.freeze({
  ...documentErrors(),
  notFound: error(404, 'M_NOT_FOUND', 'Not found: this service serves /.well-known/matrix/ only'),
  methodNotAllowed: error(405, 'M_UNRECOGNIZED', `Method not allowed: use ${ALLOWED}`, { allow: ALLOWED }),
  badRequest: error(400, 'M_UNRECOGNIZED', 'Bad request'),
  internalError: error(500, 'M_UNKNOWN', 'Internal server error'),
  // Browsers may then skip the preflight for a day.
  preflight: prepareResponse(204, { headers: { 'access-control-max-age': '86400' } }),
  healthy: prepareResponse(200, { json: '{"status":"ok"}', headers: NO_STORE }),
  draining: prepareResponse(503, { json: '{"status":"draining"}', headers: NO_STORE })
})

/** Fastify's own 4xx errors (413 for a body too large, 400 for a bad one…) in the same shape. */
export function clientErrorResponse (statusCode: number): PreparedResponse {
  return error(statusCode, statusCode === 413 ? 'M_TOO_LARGE' : 'M_UNRECOGNIZED', String(STATUS_CODES[statusCode]))
}

/** A prepared response as the bytes of a whole HTTP/1.1 message that closes its connection. */
export function messageBytes (response: PreparedResponse): Buffer {
  const lines = [`HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode]}`]
  const headers = response.rawHeaders()
  for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`)
  lines.push('connection: close', '', '')
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), response.body ?? Buffer.alloc(0)])
}

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
  reply.raw.writeHead(response.statusCode, response.rawHeaders())
  reply.raw.end(response.body)
}
