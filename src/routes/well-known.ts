// The three delegation documents share one route: the handler only picks a
// prepared response, so a request does no JSON or hashing work.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DOCUMENT_NAMES, type DocumentName } from '../documents.js'
import { hasValidHost } from '../domains/host-table.js'
import {
  ALLOWED_METHODS,
  RESPONSES,
  matchesIfNoneMatch,
  type DocumentErrors,
  sendPrepared,
  type PreparedDocuments,
  type PreparedResponse
} from '../responses.js'

export interface WellKnownOptions {
  /** The documents for the server name a request is for; undefined when none are. */
  readonly documentsFor: (request: FastifyRequest) => PreparedDocuments | undefined
  readonly isDraining: () => boolean
  /** The 404s for a missing document or host. */
  readonly errors: DocumentErrors
}

const ALLOWED = new Set<string>(ALLOWED_METHODS)
const PREFIX = '/.well-known/matrix/'
const DOCUMENT_BY_PATH = new Map<string, DocumentName>(DOCUMENT_NAMES.map(name => [`${PREFIX}${name}`, name]))

/** A request target's path: the query aside. */
export function targetPath (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** The document a request target names, if any. */
export function documentOf (url: string): DocumentName | undefined {
  return DOCUMENT_BY_PATH.get(targetPath(url))
}

export async function wellKnownRoutes (app: FastifyInstance, options: WellKnownOptions): Promise<void> {
  const { documentsFor, isDraining, errors } = options

  function send (reply: FastifyReply, response: PreparedResponse): void {
    // During the drain window every answer closes its connection, so keep-alive
    // clients reconnect to a replica that is staying instead of racing our close.
    sendPrepared(reply, response, isDraining())
  }

  for (const name of DOCUMENT_NAMES) {
    const url = `${PREFIX}${name}`
    app.get(url, (request, reply) => {
      if (!hasValidHost(request.raw.rawHeaders, request.raw.httpVersion)) return send(reply, RESPONSES.badRequest)
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
      handler: (request, reply) => send(reply, RESPONSES.methodNotAllowed)
    })
  }

  // Matrix spec, "Web Browser Clients": answer the preflight without running endpoint logic.
  app.options(`${PREFIX}*`, (request, reply) => send(reply, RESPONSES.preflight))
}
