// One HTTPS exchange with one address, and one TLS handshake: each bounded by
// a total deadline (and the exchange by a body cap), so that a hostile or
// broken remote side can slow the check down but never hold it or crash it;
// and what a failure says about the remote side, or about this machine.
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'node:https'
import { isIP } from 'node:net'
import { checkServerIdentity, connect, type ConnectionOptions, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls'

export const MAX_BODY_BYTES = 50 * 1024 // Synapse and gomatrixserverlib read no more

export type NotChecked = 'no route' | 'local limit'

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
  /**
   * Set when the failure is this machine's and says nothing about the server:
   * no route to the address (an IPv4-only host, a container without IPv6), or
   * a limit of this process or machine (file descriptors, memory).
   */
  readonly notChecked: NotChecked | undefined
  constructor (message: string, connected: boolean, notChecked?: NotChecked) {
    super(message)
    this.name = 'ExchangeError'
    this.connected = connected
    this.notChecked = notChecked
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

export interface ExchangeLimits {
  /** The system's CAs, plus the extra ones; undefined for the system's alone. */
  readonly secureContext: SecureContext | undefined
  /** The most one exchange or handshake may take, in ms. */
  readonly timeoutMs: number
}

/** One request over TLS to one address; never longer than the timeout, never more than MAX_BODY_BYTES read. */
export function exchangeOnce (limits: ExchangeLimits, outgoing: ExchangeRequest): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let connected = false
    let tls: TlsFacts | undefined
    let settled = false
    const fail = (message: string, notChecked?: NotChecked) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      req.destroy()
      reject(new ExchangeError(message, connected, notChecked))
    }
    const req = request({
      host: outgoing.endpoint.address,
      port: outgoing.endpoint.port,
      method: outgoing.method ?? 'GET',
      path: outgoing.path,
      headers: { host: outgoing.hostHeader, accept: 'application/json', ...outgoing.headers },
      servername: sni(outgoing.hostname),
      // Passed through to tls.connect, which RequestOptions' type does not say.
      ...({ secureContext: limits.secureContext } satisfies ConnectionOptions),
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
        const body = Buffer.concat(chunks).toString('utf8')
        resolve({ status: Number(response.statusCode), headers: response.headers, body, tls: tls! })
      })
      response.on('error', () => fail('the answer was cut short'))
      response.on('close', () => fail('the answer was cut short'))
    })
    const deadline = setTimeout(() => fail(`no whole answer within ${limits.timeoutMs / 1000} s`), limits.timeoutMs)
    req.on('socket', socket => {
      socket.once('connect', () => { connected = true })
      socket.once('secureConnect', () => { tls = tlsFacts(socket as TLSSocket, outgoing.hostname) })
    })
    req.on('error', err => fail(socketErrorText(err), notCheckedBy(err)))
    req.end()
  })
}

/**
 * A TLS handshake alone, in the versions `limits.secureContext` allows: what
 * the server offers, and its certificate. Rejects with an ExchangeError as
 * exchangeOnce does.
 */
export function handshakeOnce (limits: ExchangeLimits, endpoint: Endpoint, hostname: string): Promise<TlsFacts> {
  return new Promise((resolve, reject) => {
    let connected = false
    const socket = connect({
      host: endpoint.address,
      port: endpoint.port,
      servername: sni(hostname),
      secureContext: limits.secureContext,
      rejectUnauthorized: false
    })
    const end = (outcome: () => void) => {
      clearTimeout(deadline)
      socket.destroy()
      outcome()
    }
    const deadline = setTimeout(() => end(() => reject(new ExchangeError(`no TLS handshake within ${limits.timeoutMs / 1000} s`, connected))), limits.timeoutMs)
    socket.once('connect', () => { connected = true })
    socket.once('secureConnect', () => {
      const facts = tlsFacts(socket, hostname)
      end(() => resolve(facts))
    })
    socket.once('error', err => end(() => reject(new ExchangeError(socketErrorText(err), connected, notCheckedBy(err)))))
  })
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

const NO_ROUTE = new Set(['ENETUNREACH', 'EADDRNOTAVAIL'])
// What this process itself can run out of: never the remote side's doing.
const OUT_OF_RESOURCES: Readonly<Record<string, string>> = {
  EMFILE: 'this process has no file descriptor left',
  ENFILE: 'this machine has no file descriptor left',
  ENOMEM: 'this machine is out of memory',
  ENOBUFS: 'this machine has no network buffer left'
}

/** A socket error in plain words: Node's message, with the OpenSSL reason for TLS failures. */
export function socketErrorText (err: NodeJS.ErrnoException): string {
  if (/protocol version|unsupported protocol|wrong version number/i.test(`${err.code} ${err.message}`)) {
    return 'no TLS 1.2 or newer: the server offers only an older TLS version, which Node and homeservers refuse'
  }
  const local = OUT_OF_RESOURCES[String(err.code)]
  return local === undefined ? err.message : `${local} (${String(err.code)}): the check's own limit, not the server's`
}

/** Errors that come from this machine's network, before a packet reaches the address. */
export function isNoRoute (err: NodeJS.ErrnoException): boolean {
  return NO_ROUTE.has(String(err.code))
}

/** Whether an error says nothing about the server: no route from here, or this machine's own limits. */
export function notCheckedBy (err: NodeJS.ErrnoException): NotChecked | undefined {
  if (isNoRoute(err)) return 'no route'
  return Object.hasOwn(OUT_OF_RESOURCES, String(err.code)) ? 'local limit' : undefined
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

/** The TLS server name for a host: none for an IP address, which SNI cannot carry. */
function sni (hostname: string): string | undefined {
  return isIP(bare(hostname)) === 0 ? bare(hostname) : undefined
}
