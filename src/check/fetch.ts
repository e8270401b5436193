// A request as a client makes it: to an https URL, over the next address when
// a connection cannot be made, following redirects (at most MAX_REDIRECTS),
// each hop kept for the report.
import type { Endpoint, Exchange, ExchangeError, NotChecked } from './exchange.js'
import type { Network } from './network.js'

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 5

export interface Hop {
  readonly status: number
  readonly from: URL
  readonly to: URL
  /** Whether the redirect carried Access-Control-Allow-Origin, which a browser needs to follow it. */
  readonly cors: boolean
}

export type Fetched =
  | { readonly ok: true, readonly exchange: Exchange, readonly url: URL, readonly hops: readonly Hop[] }
  | {
    readonly ok: false
    readonly error: string
    readonly connected: boolean
    /** Set when the failure is this machine's, not the server's (exchange.ts). */
    readonly notChecked?: NotChecked
    readonly hops: readonly Hop[]
  }

export interface FetchOptions {
  readonly headers: Readonly<Record<string, string>>
  readonly method?: string
  /** The address of the first request, instead of every address of its host. */
  readonly first?: Endpoint
}

export async function fetchFollowingRedirects (network: Network, start: URL, options: FetchOptions): Promise<Fetched> {
  const { headers, first, method = 'GET' } = options
  const hops: Hop[] = []
  const seen = new Set<string>()
  let url = start
  for (;;) {
    if (url.protocol !== 'https:') return { ok: false, error: `a redirect leads to ${url.href}, which is not https`, connected: true, hops }
    const endpoints = hops.length === 0 && first !== undefined
      ? [first]
      : await network.endpoints(url.hostname, Number(url.port || 443))
    if (endpoints.length === 0) return { ok: false, error: `${url.hostname} has no A or AAAA record`, connected: false, hops }
    let exchange: Exchange | undefined
    let failure: ExchangeError | undefined
    // As browsers and homeservers do, the next address when a connection cannot be made.
    for (const endpoint of endpoints) {
      try {
        const path = `${url.pathname}${url.search}`
        const request = { endpoint, hostname: url.hostname, path, hostHeader: url.host, method, headers }
        exchange = await network.exchange(request)
        break
      } catch (err) {
        failure = err as ExchangeError
        if (failure.connected) break
      }
    }
    if (exchange === undefined) {
      const { message, connected, notChecked } = failure!
      return { ok: false, error: `${method} ${url.href} failed: ${message}`, connected, notChecked, hops }
    }
    const certificateProblem = exchange.tls.nameMismatch ?? exchange.tls.untrusted
    if (certificateProblem !== undefined) {
      const error = `${method} ${url.href} failed: the certificate is not valid for ${url.hostname}: ${certificateProblem}`
      return { ok: false, error, connected: true, hops }
    }
    const location = exchange.headers.location
    if (!REDIRECTS.has(exchange.status) || location === undefined) return { ok: true, exchange, url, hops }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      const error = `${url.href} redirects (${exchange.status}) to ${JSON.stringify(location.slice(0, 200))}, which is not a URL`
      return { ok: false, error, connected: true, hops }
    }
    hops.push({ status: exchange.status, from: url, to: next, cors: exchange.headers['access-control-allow-origin'] !== undefined })
    seen.add(url.href)
    if (seen.has(next.href)) return { ok: false, error: `a redirect loop: ${next.href} redirects back`, connected: true, hops }
    if (hops.length > MAX_REDIRECTS) return { ok: false, error: `more than ${MAX_REDIRECTS} redirects`, connected: true, hops }
    url = next
  }
}

/** A finding's text for an address this machine could not try: it says nothing about the server. */
export function notCheckedText (why: NotChecked, error: string): string {
  return why === 'no route' ? `not checked: no route from this machine (${error})` : `not checked: ${error}`
}

/** A path under a base URL, as clients join them: the base may end in "/". */
export function urlUnder (base: string, path: string): URL {
  return new URL(`${base.replace(/\/+$/, '')}${path}`)
}

/** A browser's preflight answered as browsers need it: no redirect, a 2xx and Access-Control-Allow-Origin. */
export function preflightAllowed (fetched: Fetched): boolean {
  return fetched.ok && fetched.hops.length === 0 && fetched.exchange.status < 300 &&
    fetched.exchange.headers['access-control-allow-origin'] !== undefined
}
