// Network access for `check`: DNS lookups and one HTTPS exchange with a single
// address, each bounded by a total deadline and a body cap, so that a hostile or
// broken remote side can slow the check down but never hold it or crash it.
// Platform only: node:dns, node:https, node:tls.
import { Resolver } from 'node:dns/promises'
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'node:https'
import { isIP } from 'node:net'
import { checkServerIdentity, createSecureContext, type ConnectionOptions, rootCertificates, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls'

export const MAX_BODY_BYTES = 50 * 1024 // Synapse and gomatrixserverlib read no more

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

/** One IP address and port to connect to. */
export interface Endpoint {
  readonly address: string
  readonly port: number
}

export interface TlsFacts {
  /** e.g. "TLSv1.3" */
  readonly protocol: string
  /** Why the chain is not trusted, when it is not. */
  readonly untrusted: string | undefined
  /** Why the certificate does not name the host, when it does not. */
  readonly nameMismatch: string | undefined
  readonly validTo: Date
}

export interface Exchange {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly tls: TlsFacts
}

/**
 * Why an exchange failed. `connected` tells what homeservers do next: a
 * connection that was never made sends them to the next address; one that was
 * made and then failed (TLS, HTTP) does not.
 */
export class ExchangeError extends Error {
  readonly connected: boolean
  /** No route from this machine to the address (an IPv4-only host, a container without IPv6): it says nothing about the server. */
  readonly unreachable: boolean
  constructor (message: string, connected: boolean, unreachable = false) {
    super(message)
    this.name = 'ExchangeError'
    this.connected = connected
    this.unreachable = unreachable
  }
}

export interface ExchangeRequest {
  readonly endpoint: Endpoint
  /** The host name the URL names: the TLS server name and the name the certificate must carry. */
  readonly hostname: string
  readonly path: string
  readonly hostHeader: string
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
}

export class Network {
  readonly #resolver: Resolver
  readonly #overrides: ReadonlyMap<string, Override>
  readonly #timeoutMs: number
  /**
   * The system's CAs, plus the extra ones when given (Node's `ca` would replace
   * them). Made once: parsing every root certificate per request was most of a request's time.
   */
  readonly #secureContext: SecureContext | undefined

  constructor (options: NetworkOptions) {
    this.#timeoutMs = options.timeoutMs
    this.#overrides = options.overrides ?? new Map()
    this.#secureContext = options.ca === undefined
      ? undefined
      : createSecureContext({ ca: [...rootCertificates, options.ca] })
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

  /** One request over TLS to one address; never longer than the timeout, never more than MAX_BODY_BYTES read. */
  exchange (outgoing: ExchangeRequest): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      let connected = false
      let tls: TlsFacts | undefined
      let settled = false
      const fail = (message: string, unreachable = false) => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        req.destroy()
        reject(new ExchangeError(message, connected, unreachable))
      }
      const req = request({
        host: outgoing.endpoint.address,
        port: outgoing.endpoint.port,
        method: outgoing.method ?? 'GET',
        path: outgoing.path,
        headers: { host: outgoing.hostHeader, accept: 'application/json', ...outgoing.headers },
        servername: sni(outgoing.hostname),
        // Passed through to tls.connect, which RequestOptions' type does not say.
        ...({ secureContext: this.#secureContext } satisfies ConnectionOptions),
        // The certificate is judged below, so that a bad one is reported rather than refused.
        rejectUnauthorized: false,
        agent: false
      }, response => {
        const chunks: Buffer[] = []
        let length = 0
        response.on('data', (chunk: Buffer) => {
          length += chunk.length
          if (length > MAX_BODY_BYTES) fail(`the answer is larger than ${MAX_BODY_BYTES / 1024} KiB`)
          else chunks.push(chunk)
        })
        response.on('end', () => {
          if (settled) return
          settled = true
          clearTimeout(deadline)
          resolve({ status: Number(response.statusCode), headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), tls: tls! })
        })
        response.on('error', () => fail('the answer was cut short'))
        response.on('close', () => fail('the answer was cut short'))
      })
      const deadline = setTimeout(() => fail(`no whole answer within ${this.#timeoutMs / 1000} s`), this.#timeoutMs)
      req.on('socket', socket => {
        socket.once('connect', () => { connected = true })
        socket.once('secureConnect', () => { tls = tlsFacts(socket as TLSSocket, outgoing.hostname) })
      })
      req.on('error', err => fail(socketErrorText(err), isNoRoute(err)))
      req.end()
    })
  }
}

function tlsFacts (socket: TLSSocket, hostname: string): TlsFacts {
  const certificate: PeerCertificate = socket.getPeerCertificate()
  return {
    protocol: String(socket.getProtocol()),
    untrusted: socket.authorized ? undefined : String(socket.authorizationError),
    nameMismatch: checkServerIdentity(bare(hostname), certificate)?.message,
    validTo: new Date(certificate.valid_to)
  }
}

/** A socket error in plain words: Node's message, with the OpenSSL reason for TLS failures. */
function socketErrorText (err: NodeJS.ErrnoException): string {
  if (/protocol version|unsupported protocol|wrong version number/i.test(`${err.code} ${err.message}`)) {
    return 'no TLS 1.2 or newer: the server offers only an older TLS version, which Node and homeservers refuse'
  }
  return err.message
}

/** Errors that come from this machine's network, before a packet reaches the address. */
export function isNoRoute (err: NodeJS.ErrnoException): boolean {
  return err.code === 'ENETUNREACH' || err.code === 'EADDRNOTAVAIL'
}

/** An answer's content type as the report shows it. */
export function contentType (headers: IncomingHttpHeaders): string {
  return headers['content-type'] ?? 'no content type'
}

export function isJsonType (type: string): boolean {
  return /^application\/json\b/i.test(type)
}

/** A host without the brackets of an IPv6 literal. */
export function bare (hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '')
}

/** An address as a URL or Host header writes it: IPv6 in brackets. */
export function formatEndpoint (endpoint: Endpoint): string {
  return `${isIP(endpoint.address) === 6 ? `[${endpoint.address}]` : endpoint.address}:${endpoint.port}`
}

/** The TLS server name for a host: none for an IP address, which SNI cannot carry. */
function sni (hostname: string): string | undefined {
  return isIP(bare(hostname)) === 0 ? bare(hostname) : undefined
}
