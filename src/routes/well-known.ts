// The document routes: one GET route per document (HEAD comes with it), whose
// handler only picks a prepared response, so a request does no JSON or hashing
// work; the CORS preflight; and 405 for every other method.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DOCUMENT_NAMES, WELL_KNOWN_PREFIX } from '../documents.js'
import { FIXED_ANSWERS, type DocumentErrors } from '../fixed-answers.js'
import { ALLOWED_METHODS } from '../header-policy.js'
import { hasValidHost } from '../request-host.js'
import type { PreparedDocuments, PreparedResponse } from '../responses.js'
import { sendPrepared } from '../wire.js'

export interface WellKnownOptions {
  /** The documents for the server name a request is for; undefined when none are. */
  readonly documentsFor: (request: FastifyRequest) => PreparedDocuments | undefined
  readonly isDraining: () => boolean
  /** The 404s for a missing document or host. */
  readonly errors: DocumentErrors
}

const ALLOWED = new Set<string>(ALLOWED_METHODS)

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
  const { documentsFor, isDraining, errors } = options

  function send (reply: FastifyReply, response: PreparedResponse): void {
    // During the drain window every answer closes its connection, so keep-alive
    // clients reconnect to a replica that is staying instead of racing our close.
    sendPrepared(reply, response, isDraining())
  }

  for (const name of DOCUMENT_NAMES) {
    const url = `${WELL_KNOWN_PREFIX}${name}`
    app.get(url, (request, reply) => {
      if (!hasValidHost(request.raw.rawHeaders, request.raw.httpVersion)) return send(reply, FIXED_ANSWERS.badRequest)
      const documents = documentsFor(request)
      if (documents === undefined) return send(reply, errors.unknownHost)
      const document = documents[name]
      if (document === undefined) return send(reply, errors.notConfigured[name])
      const ifNoneMatch = request.headers['if-none-match']
      if (ifNoneMatch !== undefined && matchesIfNoneMatch(ifNoneMatch, document.etag)) {
        return send(reply, document.notModified)
      }
      return send(reply, document)
    })
    app.route({
      method: app.supportedMethods.filter(method => !ALLOWED.has(method)),
      url,
      handler: (request, reply) => send(reply, FIXED_ANSWERS.methodNotAllowed)
    })
  }

  // Matrix spec, "Web Browser Clients": answer the preflight without running endpoint logic.
  app.options(`${WELL_KNOWN_PREFIX}*`, (request, reply) => send(reply, FIXED_ANSWERS.preflight))
}
