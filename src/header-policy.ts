// The headers every answer carries, whatever it is: the Matrix spec's CORS
// headers, and helmet's security headers, computed once.
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

export type Headers = Readonly<Record<string, string>>

/** The methods a document path answers; every other one gets 405. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const
export const ALLOWED = ALLOWED_METHODS.join(', ')

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

/** Headers as the flat [name, value, …] list node:http writes as is. */
export function headerList (headers: Headers): string[] {
  return Object.entries(headers).flat()
}

/** The headers every answer ends with, as one list shared by all of them. */
export const SHARED_HEADER_LIST: readonly string[] = Object.freeze(headerList({ ...CORS_HEADERS, ...SECURITY_HEADERS }))
