// The document routes: one GET route per document (HEAD comes with it), whose
// handler only picks a prepared response, so a request does no JSON or hashing
// work; and the CORS preflight. Other methods never get here: the request
// guards answer them with 405 before any body is read.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DOCUMENT_NAMES, WELL_KNOWN_PREFIX } from '../documents.js'
import { FIXED_ANSWERS, type DocumentErrors } from '../fixed-answers.js'
import type { PreparedDocuments } from '../responses.js'
import { sendPrepared } from '../wire.js'

export interface WellKnownOptions {
  /** The documents for the server name a request is for; undefined when none are. */
  readonly documentsFor: (request: FastifyRequest) => PreparedDocuments | undefined
  /** The 404s for a missing document or host. */
  readonly errors: DocumentErrors
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

export async function wellKnownRoutes (app: FastifyInstance, options: WellKnownOptions): Promise<void> {
  const { documentsFor, errors } = options

  for (const name of DOCUMENT_NAMES) {
    app.get(`${WELL_KNOWN_PREFIX}${name}`, (request, reply) => {
      const documents = documentsFor(request)
      if (documents === undefined) return sendPrepared(reply, errors.unknownHost)
      const document = documents[name]
      if (document === undefined) return sendPrepared(reply, errors.notConfigured[name])
      const ifNoneMatch = request.headers['if-none-match']
      if (ifNoneMatch !== undefined && matchesIfNoneMatch(ifNoneMatch, document.etag)) {
        return sendPrepared(reply, document.notModified)
      }
      return sendPrepared(reply, document)
    })
  }

  // Matrix spec, "Web Browser Clients": answer the preflight without running endpoint logic.
  app.options(`${WELL_KNOWN_PREFIX}*`, (request, reply) => sendPrepared(reply, FIXED_ANSWERS.preflight))
}
