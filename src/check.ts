// `matrix-well-known check <name>`: what a remote homeserver does to reach <name>
// (Matrix spec, server-server API, "Resolving server names"), step by step, with
// a fix for every problem. Platform only: node:https, node:dns, node:tls, node:crypto.
import { createPublicKey, verify } from 'node:crypto'
import { Resolver } from 'node:dns/promises'
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'node:https'
import { isIP } from 'node:net'
import { checkServerIdentity, connect, rootCertificates } from 'node:tls'
import { httpsUrlProblem, isPlainObject, parseServerName } from './validators.js'

export interface CheckOptions {
  /** The server name to check, as in @user:<name>. */
  readonly name: string
  /** host:port of the DNS server to ask instead of the system's. */
  readonly dnsServer?: string
  /** PEM certificates to trust besides the system's. */
  readonly ca?: string
  /** "host:port" → "address:port", as curl's --resolve and --connect-to. */
  readonly connectTo?: ReadonlyMap<string, string>
  readonly timeoutMs?: number
  /** The current time, in ms since the epoch. */
  readonly now?: number
}

export interface Step {
  readonly step: string
  readonly ok: boolean
  readonly detail: string
  /** What to change, in plain words, when ok is false. */
  readonly fix?: string
}

export interface CheckReport {
  readonly name: string
  /** Whether a remote homeserver would reach a server that proves it is <name>. */
  readonly federates: boolean
  readonly steps: readonly Step[]
}

const MAX_BODY = 50 * 1024 // bytes: Synapse and gomatrixserverlib read no more
const MAX_REDIRECTS = 5
// Synapse's well-known cache period: max-age, else Expires, else 24 h, clamped to 5 min–48 h.
const DEFAULT_CACHE_S = 24 * 3600
const MIN_CACHE_S = 300
const MAX_CACHE_S = 48 * 3600

interface Fetched {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

class Checker {
  readonly steps: Step[] = []
  readonly #options: CheckOptions
  readonly #resolver: Resolver
  readonly #now: number
  readonly #timeoutMs: number
  /** The system's CAs, plus the extra one when given (Node's `ca` would replace them). */
  readonly #ca: string[] | undefined

  constructor (options: CheckOptions) {
    this.#options = options
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#ca = options.ca === undefined ? undefined : [...rootCertificates, options.ca]
    this.#resolver = new Resolver({ timeout: this.#timeoutMs, tries: 1 })
    if (options.dnsServer !== undefined) this.#resolver.setServers([options.dnsServer])
    this.#now = options.now ?? Date.now()
  }

  pass (step: string, detail: string): void {
    this.steps.push({ step, ok: true, detail })
  }

  fail (step: string, detail: string, fix: string): false {
    this.steps.push({ step, ok: false, detail, fix })
    return false
  }

  /** IPv6 and IPv4 addresses of a host name, as the spec's AAAA/A lookups. */
  async addresses (hostname: string): Promise<string[]> {
    if (isIP(bare(hostname)) !== 0) return [bare(hostname)]
    const lookups = await Promise.allSettled([this.#resolver.resolve6(hostname), this.#resolver.resolve4(hostname)])
    return lookups.flatMap(lookup => lookup.status === 'fulfilled' ? lookup.value : [])
  }

  /** Where to connect for host:port: the --connect-to mapping, else the first DNS address. */
  async endpoint (hostname: string, port: number, address?: string): Promise<{ host: string, port: number } | undefined> {
    const mapped = this.#options.connectTo?.get(`${hostname}:${port}`)
    if (mapped !== undefined) {
      const colon = mapped.lastIndexOf(':')
      return { host: bare(mapped.slice(0, colon)), port: Number(mapped.slice(colon + 1)) }
    }
    const host = address ?? (await this.addresses(hostname))[0]
    return host === undefined ? undefined : { host, port }
  }

  /** One GET over TLS to host:port, presenting `servername` and sending `hostHeader`. */
  get (url: URL, connectTo: { host: string, port: number }, hostHeader: string): Promise<Fetched> {
    return new Promise((resolve, reject) => {
      const outgoing = request({
        host: connectTo.host,
        port: connectTo.port,
        path: `${url.pathname}${url.search}`,
        headers: { host: hostHeader, 'user-agent': 'matrix-well-known-check', accept: 'application/json' },
        servername: sni(url.hostname),
        ca: this.#ca,
        timeout: this.#timeoutMs,
        agent: false
      }, response => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', chunk => {
          body += chunk
          if (body.length > MAX_BODY) outgoing.destroy(new Error(`answer larger than ${MAX_BODY / 1024} KiB`))
        })
        response.on('end', () => resolve({ status: Number(response.statusCode), headers: response.headers, body }))
      })
      outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')))
      outgoing.on('error', reject)
      outgoing.end()
    })
  }

  /** GET an https URL on its default port, following and reporting redirects. */
  async fetch (step: string, start: URL): Promise<Fetched | undefined> {
    let url = start
    for (let redirects = 0; redirects <= MAX_REDIRECTS; redirects++) {
      const port = Number(url.port || 443)
      const connectTo = await this.endpoint(url.hostname, port)
      if (connectTo === undefined) {
        this.fail(step, `${url.hostname} has no A or AAAA record`, `publish an address for ${url.hostname}`)
        return undefined
      }
      let fetched: Fetched
      try {
        fetched = await this.get(url, connectTo, url.host)
      } catch (err) {
        this.fail(step, `GET ${url.href} failed: ${(err as Error).message}`, 'make sure the web server for this name answers on port 443 with a valid certificate')
        return undefined
      }
      const location = fetched.headers.location
      if (fetched.status < 300 || fetched.status >= 400 || location === undefined) return fetched
      const next = new URL(location, url)
      if (fetched.status === 308) {
        this.fail(step, `${url.href} redirects with 308 to ${next.href}`, 'several homeservers (Synapse among them) do not follow 308: serve the file directly, or use 301/302')
      } else {
        this.pass(step, `${url.href} redirects (${fetched.status}) to ${next.href}`)
      }
      url = next
    }
    this.fail(step, `more than ${MAX_REDIRECTS} redirects`, 'serve the file directly, without redirects')
    return undefined
  }

  cachePeriod (headers: IncomingHttpHeaders): string {
    const cacheControl = headers['cache-control'] ?? ''
    let seconds = DEFAULT_CACHE_S
    const maxAge = /max-age=(\d+)/.exec(cacheControl)
    if (/no-store/.test(cacheControl)) seconds = MIN_CACHE_S
    else if (maxAge !== null) seconds = Number(maxAge[1])
    else if (headers.expires !== undefined && !Number.isNaN(Date.parse(headers.expires))) seconds = (Date.parse(headers.expires) - this.#now) / 1000
    seconds = Math.min(MAX_CACHE_S, Math.max(MIN_CACHE_S, seconds))
    return `Synapse caches it for ${seconds >= 3600 ? `${+(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`}`
  }

  /** Step 1: the server well-known. Returns the delegated name, or undefined to fall back. */
  async serverWellKnown (name: string): Promise<string | undefined> {
    const step = 'server well-known'
    const fetched = await this.fetch(step, new URL(`https://${name}/.well-known/matrix/server`))
    if (fetched === undefined) return undefined
    if (fetched.status !== 200) {
      this.fail(step, `https://${name}/.well-known/matrix/server answered ${fetched.status}`,
        `publish {"m.server": "<homeserver>:443"} there, or remote servers use SRV records and port 8448 of ${name}`)
      return undefined
    }
    const facts = `200, ${fetched.headers['content-type'] ?? 'no content type'}, ` +
      `${fetched.headers['access-control-allow-origin'] === undefined ? 'no CORS' : 'CORS'}, ${this.cachePeriod(fetched.headers)}`
    let document: unknown
    try {
      document = JSON.parse(fetched.body)
    } catch (err) {
      this.fail(step, `${facts}; the body is not JSON: ${(err as Error).message}`, 'serve valid JSON such as {"m.server": "matrix.example.com:443"} (a trailing comma is a common cause)')
      return undefined
    }
    const delegated = isPlainObject(document) ? document['m.server'] : undefined
    if (typeof delegated !== 'string') {
      this.fail(step, `${facts}; no "m.server" string in ${fetched.body.slice(0, 100)}`, 'add "m.server": "<homeserver>:443"')
      return undefined
    }
    const parsed = parseServerName(delegated)
    if (parsed.problem !== undefined) {
      this.fail(step, `${facts}; m.server "${delegated}" ${parsed.problem}`, `m.server ${parsed.problem}`)
      return undefined
    }
    this.pass(step, `${facts}; m.server = ${delegated}`)
    return delegated
  }

  /** Step 2: where a remote server connects, in the spec's order. */
  async resolve (target: string): Promise<{ hostname: string, port: number, hostHeader: string, address?: string } | undefined> {
    const step = 'resolve'
    const { hostname, port, kind } = parseServerName(target).value!
    if (kind !== 'dns') {
      const ipPort = port ?? 8448
      this.pass(step, `${target} is an IP address: port ${ipPort}`)
      return { hostname, port: ipPort, hostHeader: target }
    }
    if (port !== undefined) {
      this.pass(step, `${target} has a port: no SRV lookup; connect to ${hostname} port ${port}`)
      return { hostname, port, hostHeader: target }
    }
    for (const [service, deprecated] of [['_matrix-fed._tcp', false], ['_matrix._tcp', true]] as const) {
      const records = await this.#resolver.resolveSrv(`${service}.${hostname}`).catch(() => [])
      const [best] = records.sort((a, b) => a.priority - b.priority || b.weight - a.weight)
      if (best === undefined) continue
      const address = (await this.addresses(best.name))[0]
      if (address === undefined) {
        this.fail(step, `SRV ${service}.${hostname} points to ${best.name}, which has no A or AAAA record`, `publish an address for ${best.name}`)
        return undefined
      }
      const detail = `SRV ${service}.${hostname} → ${best.name}:${best.port} (${address})`
      if (deprecated) this.fail(step, detail, `${service} is deprecated: publish _matrix-fed._tcp.${hostname} instead (it still works today)`)
      else this.pass(step, detail)
      return { hostname, port: best.port, hostHeader: hostname, address }
    }
    this.pass(step, `no SRV record for ${hostname}: connect to ${hostname} port 8448`)
    return { hostname, port: 8448, hostHeader: hostname }
  }

  /** Step 3: TLS with SNI set to the delegated hostname; the certificate must name it. */
  tls (hostname: string, port: number, connectTo: { host: string, port: number }): Promise<boolean> {
    const step = 'TLS'
    return new Promise(resolve => {
      const socket = connect({
        host: connectTo.host,
        port: connectTo.port,
        servername: sni(hostname),
        ca: this.#ca,
        rejectUnauthorized: false,
        timeout: this.#timeoutMs
      })
      socket.on('timeout', () => socket.destroy(new Error('timed out')))
      socket.on('error', err => {
        resolve(this.fail(step, `cannot connect to ${connectTo.host} port ${connectTo.port}: ${err.message}`,
          `make the homeserver's federation listener reachable on ${hostname} port ${port}`))
      })
      socket.on('secureConnect', () => {
        const certificate = socket.getPeerCertificate()
        const mismatch = checkServerIdentity(bare(hostname), certificate)
        const expires = new Date(certificate.valid_to)
        socket.end()
        if (mismatch !== undefined) {
          resolve(this.fail(step, `the certificate does not name ${hostname}: ${mismatch.message}`, `use a certificate whose names include ${hostname}`))
        } else if (!socket.authorized) {
          resolve(this.fail(step, `the certificate is not trusted: ${socket.authorizationError}`, 'use a certificate from a public CA, with its full chain'))
        } else {
          this.pass(step, `certificate for ${hostname}, valid until ${expires.toISOString().slice(0, 10)}`)
          resolve(true)
        }
      })
    })
  }

  /** Step 4: the server's signing keys, signed by itself. */
  async keys (name: string, hostname: string, hostHeader: string, connectTo: { host: string, port: number }): Promise<boolean> {
    const step = 'server keys'
    let fetched: Fetched
    try {
      fetched = await this.get(new URL(`https://${hostname}/_matrix/key/v2/server`), connectTo, hostHeader)
    } catch (err) {
      return this.fail(step, `GET /_matrix/key/v2/server failed: ${(err as Error).message}`, 'check that the homeserver serves the federation API on this port')
    }
    let keys: unknown
    try {
      keys = JSON.parse(fetched.body)
    } catch {
      return this.fail(step, `/_matrix/key/v2/server answered ${fetched.status} without JSON`, 'route /_matrix/ on this port to the homeserver')
    }
    if (fetched.status !== 200 || !isPlainObject(keys)) {
      return this.fail(step, `/_matrix/key/v2/server answered ${fetched.status}`, 'route /_matrix/ on this port to the homeserver')
    }
    const { server_name: serverName, verify_keys: verifyKeys, valid_until_ts: validUntil, signatures } = keys
    if (serverName !== name) {
      return this.fail(step, `the server says it is "${String(serverName)}", not "${name}"`, `set the homeserver's server_name to ${name}, or delegate ${name} to the right server`)
    }
    const keyIds = isPlainObject(verifyKeys) ? Object.keys(verifyKeys) : []
    if (keyIds.length === 0) return this.fail(step, 'no verify_keys', 'the homeserver publishes no signing key: check its configuration')
    if (typeof validUntil !== 'number' || validUntil <= this.#now) {
      return this.fail(step, `the keys expired at ${new Date(Number(validUntil)).toISOString()}`, 'the homeserver serves stale keys: restart it, or check its clock')
    }
    const ownSignatures = isPlainObject(signatures) && isPlainObject(signatures[name]) ? signatures[name] : {}
    const signed = { ...keys }
    delete signed.signatures
    delete signed.unsigned
    const canonical = Buffer.from(canonicalJson(signed))
    const verified = keyIds.filter(keyId => {
      const key = (verifyKeys as Record<string, { key?: unknown }>)[keyId]?.key
      const signature = ownSignatures[keyId]
      return keyId.startsWith('ed25519:') && typeof key === 'string' && typeof signature === 'string' &&
        verify(null, canonical, ed25519PublicKey(key), Buffer.from(signature, 'base64'))
    })
    if (verified.length === 0) {
      return this.fail(step, `no signature by ${keyIds.join(', ')} verifies`, 'the keys are not signed by the server that serves them: check for a proxy or cache rewriting the answer')
    }
    this.pass(step, `${name} signs with ${verified.join(', ')}, valid until ${new Date(validUntil).toISOString()}`)
    return true
  }

  /** Step 5: the client well-known, when there is one; it does not affect federation. */
  async clientWellKnown (name: string): Promise<void> {
    const step = 'client well-known'
    const fetched = await this.fetch(step, new URL(`https://${name}/.well-known/matrix/client`))
    if (fetched === undefined) return
    if (fetched.status === 404) {
      this.pass(step, 'not published: clients will ask their users for the homeserver URL')
      return
    }
    let document: unknown
    try {
      document = JSON.parse(fetched.body)
    } catch {
      this.fail(step, `answered ${fetched.status} without JSON`, 'serve {"m.homeserver": {"base_url": "https://…"}} with status 200, or 404 when there is none')
      return
    }
    const homeserver = isPlainObject(document) ? document['m.homeserver'] : undefined
    const baseUrl = isPlainObject(homeserver) ? homeserver.base_url : undefined
    const urlProblem = typeof baseUrl === 'string' ? httpsUrlProblem(baseUrl) : 'is missing'
    if (fetched.status !== 200 || urlProblem !== undefined) {
      this.fail(step, `answered ${fetched.status}; m.homeserver.base_url ${urlProblem ?? 'is fine'}`, 'serve {"m.homeserver": {"base_url": "https://…"}} with status 200')
      return
    }
    if (fetched.headers['access-control-allow-origin'] === undefined) {
      this.fail(step, 'no Access-Control-Allow-Origin header', 'add "Access-Control-Allow-Origin: *": browser clients such as Element Web cannot read it otherwise')
      return
    }
    const versionsUrl = new URL(`${String(baseUrl).replace(/\/$/, '')}/_matrix/client/versions`)
    const versions = await this.fetch(step, versionsUrl)
    if (versions === undefined) return
    if (versions.status !== 200) {
      this.fail(step, `${versionsUrl.href} answered ${versions.status}`, `point m.homeserver.base_url at the homeserver's client API (${String(baseUrl)} does not answer /_matrix/client/versions)`)
      return
    }
    this.pass(step, `base_url ${String(baseUrl)} answers /_matrix/client/versions, with CORS`)
  }
}

/** A host without the brackets of an IPv6 literal. */
function bare (hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '')
}

/** The TLS server name for a host: none for an IP address, which SNI cannot carry. */
function sni (hostname: string): string | undefined {
  return isIP(bare(hostname)) === 0 ? hostname : undefined
}

/** Matrix canonical JSON: sorted keys, no insignificant whitespace, UTF-8. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map(key => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

function ed25519PublicKey (unpaddedBase64: string) {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(unpaddedBase64, 'base64')]), format: 'der', type: 'spki' })
}

export async function checkDelegation (options: CheckOptions): Promise<CheckReport> {
  const checker = new Checker(options)
  const { name } = options
  const parsed = parseServerName(name)
  let federates = false
  if (parsed.problem !== undefined) {
    checker.fail('server name', `"${name}" ${parsed.problem}`, 'give a server name such as example.com, as in @user:example.com')
  } else {
    // The spec fetches the well-known only for a host name without a port.
    const delegated = parsed.value.kind === 'dns' && parsed.value.port === undefined ? await checker.serverWellKnown(name) : undefined
    const target = await checker.resolve(delegated ?? name)
    if (target !== undefined) {
      const connectTo = await checker.endpoint(target.hostname, target.port, target.address)
      if (connectTo === undefined) {
        checker.fail('resolve', `${target.hostname} has no A or AAAA record`, `publish an address for ${target.hostname}`)
      } else {
        federates = await checker.tls(target.hostname, target.port, connectTo) &&
          await checker.keys(name, target.hostname, target.hostHeader, connectTo)
      }
    }
    if (parsed.value.kind === 'dns') await checker.clientWellKnown(parsed.value.hostname)
  }
  return { name, federates, steps: checker.steps }
}

export function formatReport (report: CheckReport): string {
  const lines = report.steps.map(step => step.ok
    ? `✓ ${step.step}: ${step.detail}`
    : `✗ ${step.step}: ${step.detail}\n    fix: ${step.fix}`)
  lines.push(report.federates
    ? `${report.name} federates: remote servers reach a server that proves it is ${report.name}.`
    : `${report.name} does not federate: fix the first ✗ above and run the check again.`)
  return `${lines.join('\n')}\n`
}
