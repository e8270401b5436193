// Every answer that is not a document, prepared once: errors in the Matrix
// spec's shape, the CORS preflight, and the probes' answers.
import { DOCUMENT_NAMES, type DocumentName } from './documents.js'
import { ALLOWED, type Headers } from './header-policy.js'
import { prepareResponse, type PreparedResponse } from './responses.js'

// Not `import … from 'node:http'`: on Node 22 its ESM facade reads every export,
// WebSocket included, which loads Node's bundled undici at start-up (docs/performance.md).
const { STATUS_CODES } = process.getBuiltinModule('node:http')

/** The body of every error answer, in the Matrix spec's error shape. */
export function matrixError (errcode: string, error: string): string {
  return JSON.stringify({ errcode, error })
}

const errorAnswer = (statusCode: number, errcode: string, message: string, headers?: Headers) =>
  prepareResponse(statusCode, { json: matrixError(errcode, message), headers })

const NO_STORE = { 'cache-control': 'no-store' }
// A 404 is cacheable by default, and a shared cache in front keeps one as long
// as it likes without this: a host just added to the domains file, or a
// document just configured, then shows through it within a minute.
const NOT_FOUND_CACHING = { 'cache-control': 'public, max-age=60' }

const NOT_CONFIGURED: Record<DocumentName, string> = {
  server: 'No server delegation is configured here',
  client: 'No client discovery information is configured here',
  support: 'No support information is configured here',
  policy_server: 'No policy server key is configured here'
}

export interface DocumentErrors {
  /** A document the host does not publish. */
  readonly notConfigured: Readonly<Record<DocumentName, PreparedResponse>>
  /** Multi-domain mode: a host that is not in the file. */
  readonly unknownHost: PreparedResponse
}

/** The 404s of the document routes; in multi-domain mode they vary by host like the documents. */
export function documentErrors (vary?: string): DocumentErrors {
  const headers = vary === undefined ? NOT_FOUND_CACHING : { ...NOT_FOUND_CACHING, vary }
  return Object.freeze({
    notConfigured: Object.freeze(Object.fromEntries(DOCUMENT_NAMES.map(name =>
      [name, errorAnswer(404, 'M_NOT_FOUND', NOT_CONFIGURED[name], headers)])) as Record<DocumentName, PreparedResponse>),
    unknownHost: errorAnswer(404, 'M_NOT_FOUND', 'No delegation is configured for this host', headers)
  })
}

export const FIXED_ANSWERS = Object.freeze({
  notFound: errorAnswer(404, 'M_NOT_FOUND', 'Not found: this service serves /.well-known/matrix/ only', NOT_FOUND_CACHING),
  methodNotAllowed: errorAnswer(405, 'M_UNRECOGNIZED', `Method not allowed: use ${ALLOWED}`, { allow: ALLOWED }),
  badRequest: errorAnswer(400, 'M_UNRECOGNIZED', 'Bad request'),
  internalError: errorAnswer(500, 'M_UNKNOWN', 'Internal server error'),
  // Browsers may then skip the preflight for a day.
  preflight: prepareResponse(204, { headers: { 'access-control-max-age': '86400' } }),
  healthy: prepareResponse(200, { json: '{"status":"ok"}', headers: NO_STORE }),
  draining: prepareResponse(503, { json: '{"status":"draining"}', headers: NO_STORE })
})

/** A 4xx that Fastify or Node's parser decided (413 for a body too large, 400 for a bad one…), in the same shape. */
export function clientErrorResponse (statusCode: number): PreparedResponse {
  return errorAnswer(statusCode, statusCode === 413 ? 'M_TOO_LARGE' : 'M_UNRECOGNIZED', String(STATUS_CODES[statusCode]))
}
