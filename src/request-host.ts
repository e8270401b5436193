// Which host a request names, in both modes: single-domain mode only checks
// that there is one, multi-domain mode chooses the customer by it.
import type { FastifyRequest } from 'fastify'
import { urlAuthority } from './validators.js'

/** A request's host as a key of the host table: lower case, without port or trailing dot. */
export function hostKey (host: string | undefined): string {
  if (host === undefined) return ''
  let key = host.toLowerCase()
  const end = key.startsWith('[') ? key.indexOf(']') + 1 : key.indexOf(':')
  if (end > 0) key = key.slice(0, end)
  return key.endsWith('.') ? key.slice(0, -1) : key
}

/**
 * The host a request is for: the authority of an absolute-form target (RFC 9112
 * §3.2.2: it wins over Host), else the request's own Host. X-Forwarded-Host
 * only when the proxy in front is trusted and says it overwrites that header:
 * otherwise any client could pick another customer's answer, and a shared
 * cache in front would keep it for everybody.
 */
export function requestHost (request: FastifyRequest, trustForwardedHost: boolean): string | undefined {
  const target = request.raw.url!
  if (!target.startsWith('/')) return urlAuthority(target)
  return trustForwardedHost ? request.host : request.headers.host
}

// RFC 3986 §3.2.2: a registered name (with the "_" some hosts carry, and a
// trailing dot) or an IPv4 address, or an IPv6 address in brackets; then an
// optional port of at most five digits. The port's value is checked below.
const HOST_VALUE = /^(?:[A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.]+\])(?::(\d{0,5}))?$/

/** A Host header's value as RFC 9112 §3.2 allows it: host[:port], an empty value included. */
export function isValidHostValue (value: string): boolean {
  const match = HOST_VALUE.exec(value)
  return match !== null && (match[1] === undefined || match[1] === '' || Number(match[1]) <= 65535)
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host header, an HTTP/1.0
 * one at most one, and its value is host[:port]; otherwise 400. The server
 * keeps every header line (maxHeadersCount), so that a second Host cannot hide
 * after thousands of others.
 */
export function hasValidHost (rawHeaders: readonly string[], httpVersion: string): boolean {
  let hosts = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (++hosts > 1 || !isValidHostValue(rawHeaders[i + 1]!)) return false
    }
  }
  return hosts === 1 || (hosts === 0 && httpVersion === '1.0')
}
