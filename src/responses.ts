// Prepared responses: an answer's status, its own headers and its body, built
// once at start-up. A request only picks one and writes it (wire.ts), with the
// headers every answer shares (header-policy.ts).
import { createHash } from 'node:crypto'
import type { DocumentBodies, DocumentName } from './documents.js'
import { headerList, SHARED_HEADER_LIST, type Headers } from './header-policy.js'

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

export interface ResponseParts {
  /** The JSON body, already serialised; none for 204 and 304. */
  readonly json?: string
  /** Headers of this answer, written after the type and length. */
  readonly headers?: Headers
}

/** Type and length: the first headers of every answer with a body. */
const bodyHeaders = (body: Buffer): string[] => ['content-type', 'application/json', 'content-length', String(body.length)]

// Every answer's list is joined when it is written rather than stored whole: the
// shared entries in each of a host's answers were most of the memory a domains
// file of thousands of hosts took (docs/performance.md).
class FixedResponse implements PreparedResponse {
  constructor (readonly statusCode: number, private readonly headers: readonly string[],
    readonly body: Buffer | undefined) {
    Object.freeze(this)
  }

  rawHeaders (): string[] {
    return this.headers.concat(SHARED_HEADER_LIST)
  }
}

/**
 * The one header layout of every answer: type and length when there is a body,
 * this answer's own headers, then CORS and security.
 */
export function prepareResponse (statusCode: number, parts: ResponseParts = {}): PreparedResponse {
  const own = parts.headers === undefined ? [] : headerList(parts.headers)
  if (parts.json === undefined) return new FixedResponse(statusCode, own, undefined)
  const body = Buffer.from(parts.json)
  return new FixedResponse(statusCode, [...bodyHeaders(body), ...own], body)
}

/** What every document of one cache period shares. */
interface Caching {
  readonly cacheControl: string
  /** ['vary', …] in multi-domain mode, else empty. */
  readonly varyHeader: readonly string[]
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
    return bodyHeaders(this.body).concat(this.#cachingHeaders(), SHARED_HEADER_LIST)
  }

  #cachingHeaders (): string[] {
    return ['cache-control', this.#caching.cacheControl, 'etag', this.etag, ...this.#caching.varyHeader]
  }
}

/** Prepares documents for one cache period, and in multi-domain mode with `Vary`. */
export function documentPreparer (cacheMaxAge: number, vary?: string): (bodies: DocumentBodies) => PreparedDocuments {
  const caching: Caching = Object.freeze({ cacheControl: `public, max-age=${cacheMaxAge}`, varyHeader: vary === undefined ? [] : ['vary', vary] })
  const prepare = (body: string | undefined) => body === undefined ? undefined : new PreparedDocument(body, caching)
  // One object literal, one shape for every host.
  return bodies => ({
    server: prepare(bodies.server),
    client: prepare(bodies.client),
    support: prepare(bodies.support),
    policy_server: prepare(bodies.policy_server)
  })
}
