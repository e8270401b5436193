// Network access for `check`: DNS lookups, overrides of where to connect (as
// curl's --resolve and --connect-to), and exchanges and handshakes
// (exchange.ts), a fixed number at once. Platform only: node:dns, node:https,
// node:tls.
import { Resolver } from 'node:dns/promises'
import { isIP } from 'node:net'
import { createSecureContext, rootCertificates, type SecureContext, type SecureVersion } from 'node:tls'
import { bare, exchangeOnce, handshakeOnce, type Endpoint, type Exchange, type ExchangeLimits, type ExchangeRequest, type TlsFacts } from './exchange.js'
import { Slots } from './slots.js'

// Far more than a check needs at once, far below any file descriptor limit.
export const MAX_CONNECTIONS = 16

/** Where to connect instead, as curl's --resolve (addresses) and --connect-to (address and port). */
export interface Override {
  /** Empty: keep the addresses DNS gives. */
  readonly addresses: readonly string[]
  /** Undefined: keep the port. */
  readonly port?: number
}

export interface NetworkOptions {
  /** An IP address with an optional port, of the DNS server to ask instead of the system's. */
  readonly dnsServer?: string
  /** PEM certificates to trust besides the system's. */
  readonly ca?: string
  /** "host:port" → where to connect instead. */
  readonly overrides?: ReadonlyMap<string, Override>
  /** The most one request or lookup may take, in ms. */
  readonly timeoutMs: number
}

export class Network {
  readonly #resolver: Resolver
  readonly #overrides: ReadonlyMap<string, Override>
  readonly #ca: string[] | undefined
  readonly #timeoutMs: number
  readonly #contexts = new Map<SecureVersion | 'any', SecureContext>()
  readonly #slots = new Slots(MAX_CONNECTIONS)

  constructor (options: NetworkOptions) {
    this.#overrides = options.overrides ?? new Map()
    // The system's CAs, plus the extra ones when given (Node's `ca` would replace them).
    this.#ca = options.ca === undefined ? undefined : [...rootCertificates, options.ca]
    this.#timeoutMs = options.timeoutMs
    this.#resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 })
    if (options.dnsServer !== undefined) this.#resolver.setServers([options.dnsServer])
  }

  /** The AAAA then A records of a host name; an IP literal is its own address. */
  async lookupAddresses (hostname: string): Promise<string[]> {
    if (isIP(bare(hostname)) !== 0) return [bare(hostname)]
    const lookups = await Promise.allSettled([this.#resolver.resolve6(hostname), this.#resolver.resolve4(hostname)])
    return lookups.flatMap(lookup => lookup.status === 'fulfilled' ? lookup.value : [])
  }

  /** Every address and port a client connects to for host:port, overrides applied. */
  async endpoints (hostname: string, port: number): Promise<Endpoint[]> {
    const override = this.#overrides.get(`${bare(hostname)}:${port}`)
    const addresses = override !== undefined && override.addresses.length > 0
      ? override.addresses
      : await this.lookupAddresses(hostname)
    return addresses.map(address => ({ address: bare(address), port: override?.port ?? port }))
  }

  async srv (name: string) {
    return this.#resolver.resolveSrv(name).catch(() => [])
  }

  /** The name a host name is an alias for, when it is one. */
  async cname (hostname: string): Promise<string | undefined> {
    const names = await this.#resolver.resolveCname(hostname).catch(() => [])
    return names[0]
  }

  /** One request over TLS to one address (exchangeOnce), when a connection slot is free. */
  exchange (outgoing: ExchangeRequest): Promise<Exchange> {
    return this.#slots.run(() => exchangeOnce(this.#limits(), outgoing))
  }

  /** One TLS handshake with one address, at most `maxVersion` when given, when a connection slot is free. */
  handshake (endpoint: Endpoint, hostname: string, maxVersion?: SecureVersion): Promise<TlsFacts> {
    return this.#slots.run(() => handshakeOnce(this.#limits(maxVersion), endpoint, hostname))
  }

  /**
   * The TLS settings of a connection: Node's own unless extra CAs or a
   * version cap are asked for. Each made once: parsing every root certificate
   * per request was most of a request's time.
   */
  #limits (maxVersion?: SecureVersion): ExchangeLimits {
    const timeoutMs = this.#timeoutMs
    if (this.#ca === undefined && maxVersion === undefined) return { secureContext: undefined, timeoutMs }
    const key = maxVersion ?? 'any'
    let secureContext = this.#contexts.get(key)
    if (secureContext === undefined) {
      const ca = this.#ca === undefined ? {} : { ca: this.#ca }
      secureContext = createSecureContext({ ...ca, ...(maxVersion === undefined ? {} : { maxVersion }) })
      this.#contexts.set(key, secureContext)
    }
    return { secureContext, timeoutMs }
  }
}

/** An address as a URL or Host header writes it: IPv6 in brackets. */
export function formatEndpoint (endpoint: Endpoint): string {
  return `${isIP(endpoint.address) === 6 ? `[${endpoint.address}]` : endpoint.address}:${endpoint.port}`
}
