// What a delegation document is: its name, its path, its serialised body, and
// the one builder per document that both the environment (document-settings.ts)
// and the domains file go through, so that a document is validated, serialised
// and capped alike wherever it comes from.
import { clientDocumentProblem } from './client-document.js'
import { unreachableHostProblem } from './federation-host.js'
import { parseServerName, supportDocumentProblem, type FieldProblem } from './validators.js'

export const DOCUMENT_NAMES = ['server', 'client', 'support', 'policy_server'] as const
export type DocumentName = typeof DOCUMENT_NAMES[number]

/** Where every document is served: the Matrix spec's well-known URIs. */
export const WELL_KNOWN_PREFIX = '/.well-known/matrix/'
const DOCUMENT_BY_PATH = new Map<string, DocumentName>(DOCUMENT_NAMES.map(name => [`${WELL_KNOWN_PREFIX}${name}`, name]))

/** A request target's path: the query aside, and the scheme and authority of an absolute-form target. */
export function targetPath (url: string): string {
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  if (path.startsWith('/')) return path
  const authority = path.indexOf('//')
  const start = authority === -1 ? -1 : path.indexOf('/', authority + 2)
  return start === -1 ? '' : path.slice(start)
}

/**
 * The document a request target names, if any, however its path is spelled:
 * the router decodes percent-escapes, so "%73erver" reaches the server document.
 */
export function documentAtPath (url: string): DocumentName | undefined {
  const path = targetPath(url)
  const document = DOCUMENT_BY_PATH.get(path)
  if (document !== undefined || !path.includes('%')) return document
  try {
    return DOCUMENT_BY_PATH.get(decodeURIComponent(path))
  } catch {
    return undefined
  }
}

/** Serialised bodies, exactly as served; a missing one is answered with 404. */
export type DocumentBodies = Readonly<Partial<Record<DocumentName, string>>>

/** Whether two hosts publish the same documents, byte for byte. */
export function sameDocuments (a: DocumentBodies, b: DocumentBodies): boolean {
  return DOCUMENT_NAMES.every(name => a[name] === b[name])
}

// Tuwunel refuses larger well-known documents; Synapse and gomatrixserverlib stop at 50 KiB.
export const MAX_DOCUMENT_BYTES = 12 * 1024

export type BuiltDocument = { body: string, problem?: undefined } | { body?: undefined, problem: FieldProblem }

function serialise (name: DocumentName, document: unknown): BuiltDocument {
  const body = JSON.stringify(document)
  const bytes = Buffer.byteLength(body)
  if (bytes <= MAX_DOCUMENT_BYTES) return { body }
  return {
    problem: {
      field: name,
      problem: `makes a document of ${bytes} bytes: keep it under ${MAX_DOCUMENT_BYTES} (12 KiB), the most some homeservers read`
    }
  }
}

/** `{"m.server": …}` from a server name (`host[:port]`) that remote homeservers can reach. */
export function serverDocument (serverName: unknown): BuiltDocument {
  if (typeof serverName !== 'string') return { problem: { field: 'server', problem: 'is not a string such as "matrix.example.com:443"' } }
  const parsed = parseServerName(serverName)
  const problem = parsed.problem ?? unreachableHostProblem(parsed.value.hostname, parsed.value.kind)
  if (problem !== undefined) return { problem: { field: 'server', problem } }
  return serialise('server', { 'm.server': serverName })
}

/** The client document, served as given once it is valid. */
export function clientDocument (document: unknown): BuiltDocument {
  const problem = clientDocumentProblem(document)
  return problem === undefined ? serialise('client', document) : { problem }
}

/** The support document, served as given once it is valid. */
export function supportDocument (document: unknown): BuiltDocument {
  const problem = supportDocumentProblem(document)
  return problem === undefined ? serialise('support', document) : { problem }
}

/**
 * `{"public_keys": {"ed25519": …}}` (spec v1.18, MSC4284) from the policy
 * server's public key: unpadded base64 of 32 bytes, as the spec writes keys.
 */
export function policyServerDocument (key: unknown): BuiltDocument {
  const problem = ed25519KeyProblem(key)
  if (problem !== undefined) return { problem: { field: 'policy_server', problem } }
  return serialise('policy_server', { public_keys: { ed25519: key } })
}

function ed25519KeyProblem (key: unknown): string | undefined {
  if (typeof key !== 'string') return 'is not a string such as "MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs"'
  if (key.endsWith('=')) return 'has base64 padding ("="): the Matrix spec writes keys as unpadded base64'
  if (!/^[A-Za-z0-9+/]+$/.test(key)) return 'is not unpadded base64 (A-Z, a-z, 0-9, "+" and "/")'
  const bytes = Buffer.from(key, 'base64')
  if (bytes.length !== 32) return `decodes to ${bytes.length} bytes: an ed25519 public key has 32`
  // Base64 with stray low bits decodes to the same bytes: only the canonical spelling is one key.
  if (bytes.toString('base64').replace(/=+$/, '') !== key) return 'is not the canonical base64 of its 32 bytes'
  return undefined
}

export const DOCUMENT_BUILDERS: Readonly<Record<DocumentName, (value: unknown) => BuiltDocument>> = Object.freeze({
  server: serverDocument,
  client: clientDocument,
  support: supportDocument,
  policy_server: policyServerDocument
})
