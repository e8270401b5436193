// `matrix-well-known check <name>`: what remote homeservers do to reach <name>
// (Matrix spec, server-server API, "Resolving server names"), step by step and
// address by address, with a fix for every problem. Verdicts follow what real
// homeservers do (docs/check.md): an address that refuses connections only slows
// them down; one that accepts and then fails breaks every server that picks it.
import type { IncomingHttpHeaders } from 'node:http'
import { contentType, formatEndpoint, isJsonType, Network, type Endpoint, type ExchangeError, type Exchange, type Override } from './network.js'
import { keyFindings } from './keys.js'
import { summarise, type CheckReport, type Finding, type Level, type Step } from './report.js'
import { clientDocumentProblem, isPlainObject, parseJson, parseServerName, supportDocumentProblem, type FieldProblem } from '../validators.js'

export interface CheckOptions {
  /** The server name to check, as in @user:<name>. */
  readonly name: string
  /** An IP address with an optional port, of the DNS server to ask instead of the system's. */
  readonly dnsServer?: string
  /** PEM certificates to trust besides the system's. */
  readonly ca?: string
  /** "host:port" → where to connect instead, as curl's --resolve and --connect-to. */
  readonly overrides?: ReadonlyMap<string, Override>
  /** The most one request may take, in ms. */
  readonly timeoutMs?: number
  /** The current time, in ms since the epoch. */
  readonly now?: number
}

// What homeservers send (Synapse: hs.version_string; Go servers: net/http's default),
// and what a browser sends: a bot filter tells them apart by these.
export const SYNAPSE_AGENT = 'Synapse/1.157.1'
export const GO_AGENT = 'Go-http-client/1.1'
export const BROWSER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
const BROWSER_ORIGIN = 'https://app.element.io'
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 5
// Synapse's well-known cache period: max-age, else Expires, else 24 h, clamped to 5 min–48 h.
const DEFAULT_CACHE_S = 24 * 3600
const MIN_CACHE_S = 300
const MAX_CACHE_S = 48 * 3600
const CERTIFICATE_WARNING_DAYS = 14
const DAY_MS = 86_400_000
// Keys no current client reads (matrix-rust-sdk and matrix-js-sdk dropped them).
const OBSOLETE_CLIENT_KEYS: Readonly<Record<string, string>> = {
  'org.matrix.msc3575.proxy': 'sliding sync is built into current homeservers; clients no longer read a proxy URL',
  'org.matrix.msc2965.authentication': 'clients discover OIDC through /_matrix/client/v1/auth_metadata (spec v1.15)'
}

interface Hop {
  readonly status: number
  readonly from: URL
  readonly to: URL
  readonly cors: boolean
}

type Fetched =
  | { readonly ok: true, readonly exchange: Exchange, readonly url: URL, readonly hops: readonly Hop[] }
  | { readonly ok: false, readonly error: string, readonly connected: boolean, readonly unreachable?: boolean, readonly hops: readonly Hop[] }

/** A place a remote server connects to, from the resolution step. */
interface Target {
  /** The host whose addresses to connect to: an SRV target, or the delegated host itself. */
  readonly hostname: string
  readonly port: number
  /** The name the certificate must carry and TLS asks for: the delegated host. */
  readonly tlsName: string
  readonly hostHeader: string
}

/** A finding whose level is decided once it is known whether any address works. */
interface Pending {
  readonly finding: { level: Level }
  readonly whenWorking: Level
}

class Checker {
  readonly findings: Finding[] = []
  readonly #pending: Pending[] = []
  readonly #network: Network
  readonly #now: number

  constructor (options: CheckOptions) {
    this.#network = new Network({ dnsServer: options.dnsServer, ca: options.ca, overrides: options.overrides, timeoutMs: options.timeoutMs ?? 10_000 })
    this.#now = options.now ?? Date.now()
  }

  add (step: Step, level: Level, detail: string, fix?: string, address?: string) {
    const finding = { step, level, detail, ...(fix === undefined ? {} : { fix }), ...(address === undefined ? {} : { address }) }
    this.findings.push(finding)
    return finding
  }

  /** A well-known problem remote servers survive when their fallback works: ⚠ then, ✗ otherwise. */
  addPending (step: Step, whenWorking: Level, detail: string, fix?: string) {
    this.#pending.push({ finding: this.add(step, 'fail', detail, fix), whenWorking })
  }

  settle (working: boolean): void {
    for (const { finding, whenWorking } of this.#pending) finding.level = working ? whenWorking : 'fail'
  }

  /** GET (or another method) of an https URL, following up to MAX_REDIRECTS redirects. */
  async fetch (start: URL, headers: Record<string, string>, first?: Endpoint, method = 'GET'): Promise<Fetched> {
    const hops: Hop[] = []
    const seen = new Set<string>()
    let url = start
    for (;;) {
      if (url.protocol !== 'https:') return { ok: false, error: `a redirect leads to ${url.href}, which is not https`, connected: true, hops }
      const port = Number(url.port || 443)
      const endpoints = hops.length === 0 && first !== undefined ? [first] : await this.#network.endpoints(url.hostname, port)
      if (endpoints.length === 0) return { ok: false, error: `${url.hostname} has no A or AAAA record`, connected: false, hops }
      let exchange: Exchange | undefined
      let failure: ExchangeError | undefined
      // As browsers and homeservers do, the next address when a connection cannot be made.
      for (const endpoint of endpoints) {
        try {
          exchange = await this.#network.exchange({ endpoint, hostname: url.hostname, path: `${url.pathname}${url.search}`, hostHeader: url.host, method, headers })
          break
        } catch (err) {
          failure = err as ExchangeError
          if (failure.connected) break
        }
      }
      if (exchange === undefined) {
        const { message, connected, unreachable } = failure!
        return { ok: false, error: `${method} ${url.href} failed: ${message}`, connected, unreachable, hops }
      }
      const certificateProblem = exchange.tls.nameMismatch ?? exchange.tls.untrusted
      if (certificateProblem !== undefined) {
        return { ok: false, error: `${method} ${url.href} failed: the certificate is not valid for ${url.hostname}: ${certificateProblem}`, connected: true, hops }
      }
      const location = exchange.headers.location
      if (!REDIRECTS.has(exchange.status) || location === undefined) return { ok: true, exchange, url, hops }
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        return { ok: false, error: `${url.href} redirects (${exchange.status}) to ${JSON.stringify(location.slice(0, 200))}, which is not a URL`, connected: true, hops }
      }
      hops.push({ status: exchange.status, from: url, to: next, cors: exchange.headers['access-control-allow-origin'] !== undefined })
      seen.add(url.href)
      if (seen.has(next.href)) return { ok: false, error: `a redirect loop: ${next.href} redirects back`, connected: true, hops }
      if (hops.length > MAX_REDIRECTS) return { ok: false, error: `more than ${MAX_REDIRECTS} redirects`, connected: true, hops }
      url = next
    }
  }

  reportHops (step: Step, hops: readonly Hop[]): void {
    for (const hop of hops) {
      const crossHost = hop.to.host === hop.from.host ? '' : `, another host (${hop.to.host})`
      const note = hop.status === 308 ? '; homeservers follow 308 (only installs on a Twisted older than 22.4 did not)' : ''
      this.add(step, 'ok', `${hop.from.href} redirects (${hop.status}) to ${hop.to.href}${crossHost}${note}`)
    }
  }

  /** Step 1: the server well-known, from every address of the name and as homeservers and browsers ask. */
  async serverWellKnown (name: string): Promise<string | undefined> {
    const step = 'server well-known'
    const url = new URL(`https://${name}/.well-known/matrix/server`)
    const endpoints = await this.#network.endpoints(name, 443)
    if (endpoints.length === 0) {
      this.addPending(step, 'warn', `${name} has no A or AAAA record: remote servers cannot fetch ${url.href}`, `publish the address of the web server for ${name}, or delegate with SRV records`)
      return undefined
    }
    const asHomeserver = { 'user-agent': SYNAPSE_AGENT }
    const [answers, goAnswer, browserAnswer] = await Promise.all([
      Promise.all(endpoints.map(endpoint => this.fetch(url, asHomeserver, endpoint))),
      this.fetch(url, { 'user-agent': GO_AGENT }, endpoints[0]),
      this.fetch(url, { 'user-agent': BROWSER_AGENT, accept: 'text/html,application/json;q=0.9,*/*;q=0.8' }, endpoints[0])
    ])
    const chosen = this.compareAddresses(step, endpoints, answers)
    this.compareAgents(step, answers[0]!, goAnswer, browserAnswer)
    const fetched = answers[chosen]!
    this.reportHops(step, fetched.hops)
    if (!fetched.ok) {
      this.addPending(step, 'warn', fetched.error, `make https://${name} answer on port 443 with a valid certificate; until then remote servers fall back to SRV records and port 8448`)
      return undefined
    }
    const { exchange } = fetched
    const type = contentType(exchange.headers)
    const facts = `${exchange.status}, ${type}, ${exchange.headers['access-control-allow-origin'] === undefined ? 'no CORS' : 'CORS'}`
    if (exchange.status === 404) {
      this.addPending(step, 'ok', `${fetched.url.href} answered 404: not published, so remote servers use SRV records, then port 8448`,
        `publish {"m.server": "<homeserver>:443"} at ${url.href}`)
      return undefined
    }
    const fallback = 'until then remote servers fall back to SRV records and port 8448'
    if (exchange.status !== 200) {
      this.addPending(step, 'warn', `${fetched.url.href} answered ${exchange.status}`, `serve {"m.server": "<homeserver>:443"} there with status 200; ${fallback}`)
      return undefined
    }
    if (/^text\/html/i.test(type) || /^\s*</.test(exchange.body)) {
      this.addPending(step, 'warn', `${facts}: a web page, not JSON: a catch-all route answers instead of the file`,
        `route /.well-known/matrix/ to the file before the site's catch-all; ${fallback}`)
      return undefined
    }
    const parsed = parseJson(exchange.body)
    const document = parsed.value
    const delegated = isPlainObject(document) ? document['m.server'] : undefined
    if (parsed.problem !== undefined || typeof delegated !== 'string') {
      this.addPending(step, 'warn', `${facts}; the body ${parsed.problem ?? `has no "m.server" string: ${exchange.body.slice(0, 100)}`}`,
        `serve {"m.server": "<homeserver>:443"} (a trailing comma is a common cause of invalid JSON); ${fallback}`)
      return undefined
    }
    const server = parseServerName(delegated)
    if (server.problem !== undefined) {
      this.addPending(step, 'warn', `${facts}; m.server "${delegated.slice(0, 300)}" ${server.problem}`, `m.server ${server.problem}`)
      return undefined
    }
    this.add(step, 'ok', `${facts}; m.server = ${delegated}`)
    if (!isJsonType(type)) {
      this.add(step, 'warn', `served as ${type}: resolvers parse it anyway`, 'serve it as application/json')
    }
    this.cachePeriod(step, exchange.headers)
    return delegated
  }

  /** Split brain: every address of the name must give the same answer. Returns the answer to go on with. */
  compareAddresses (step: Step, endpoints: readonly Endpoint[], answers: readonly Fetched[]): number {
    const summaries = answers.map(answerSummary)
    const connected = answers.flatMap((answer, index) => answer.ok || answer.connected ? [index] : [])
    if (endpoints.length > 1) {
      for (const [index, answer] of answers.entries()) {
        if (!answer.ok && answer.unreachable === true) {
          this.add(step, 'ok', `not checked: no route from this machine (${answer.error})`, undefined, formatEndpoint(endpoints[index]!))
        } else if (!answer.ok && !answer.connected && connected.length > 0) {
          this.add(step, 'warn', `refuses the connection (${answer.error}): remote servers move on to another address, after a delay`,
            'make every address of the name answer, or remove this one from DNS', formatEndpoint(endpoints[index]!))
        }
      }
    }
    if (connected.length === 0) return 0
    const counts = new Map<string, number>()
    for (const index of connected) counts.set(summaries[index]!, (counts.get(summaries[index]!) ?? 0) + 1)
    const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0]
    const chosen = connected.find(index => summaries[index] === majority)!
    if (counts.size > 1) {
      for (const index of connected) {
        if (summaries[index] === majority) continue
        this.add(step, 'fail', `answers ${summaries[index]}, where ${formatEndpoint(endpoints[chosen]!)} answers ${majority}: remote servers get a different delegation depending on the address they pick`,
          'serve the same file from every address of the name (check each web server, CDN origin and IPv4/IPv6 listener)', formatEndpoint(endpoints[index]!))
      }
    } else if (connected.length > 1) {
      this.add(step, 'ok', `the same answer from each address: ${connected.map(index => formatEndpoint(endpoints[index]!)).join(', ')}`)
    }
    return chosen
  }

  /** A bot filter or WAF answers homeservers otherwise than browsers. */
  compareAgents (step: Step, synapse: Fetched, go: Fetched, browser: Fetched): void {
    const browserSees = answerSummary(browser)
    const blocked = [{ agent: SYNAPSE_AGENT, answer: synapse }, { agent: GO_AGENT, answer: go }]
      .map(({ agent, answer }) => ({ agent, sees: answerSummary(answer) }))
      .filter(({ sees }) => sees !== browserSees)
    if (blocked.length === 0) {
      this.add(step, 'ok', `homeservers (${SYNAPSE_AGENT}, ${GO_AGENT}) and a browser get the same answer`)
      return
    }
    const what = blocked.map(({ agent, sees }) => `${agent} gets ${sees}`).join('; ')
    this.add(step, 'fail', `a bot filter or WAF blocks homeservers: ${what}; a browser gets ${browserSees}`,
      'exempt /.well-known/matrix/* and the federation port from the bot filter or WAF (Cloudflare Bot Fight Mode and user-agent rules are the usual cause)')
  }

  cachePeriod (step: Step, headers: IncomingHttpHeaders): void {
    const cacheControl = headers['cache-control'] ?? ''
    let seconds = DEFAULT_CACHE_S
    const maxAge = /(?:^|[,\s])max-age=(\d+)/.exec(cacheControl)
    const expires = headers.expires === undefined ? NaN : Date.parse(headers.expires)
    if (/no-store/.test(cacheControl)) seconds = 0
    else if (maxAge !== null) seconds = Number(maxAge[1])
    else if (headers.expires !== undefined) seconds = Number.isNaN(expires) ? 0 : (expires - this.#now) / 1000
    const clamped = Math.min(MAX_CACHE_S, Math.max(MIN_CACHE_S, seconds))
    const period = clamped >= 3600 ? `${+(clamped / 3600).toFixed(1)} h` : `${Math.round(clamped / 60)} min`
    if (seconds < MIN_CACHE_S) {
      this.add(step, 'warn', `Synapse caches it for ${period} only (${cacheControl || `Expires: ${headers.expires}`}): it refetches often, and a failed refetch is cached as a failure for up to an hour`,
        'send Cache-Control: max-age=14400 (4 h), or at least 300')
    } else {
      this.add(step, 'ok', `Synapse caches it for ${period}`)
    }
  }

  /** Step 2: where remote servers connect, in the spec's order. */
  async resolve (target: string): Promise<Target[]> {
    const step = 'resolve'
    const { hostname, port, kind } = parseServerName(target).value!
    if (kind !== 'dns') {
      this.add(step, 'ok', `${target} is an IP address: connect to port ${port ?? 8448}`)
      return [{ hostname, port: port ?? 8448, tlsName: hostname, hostHeader: target }]
    }
    if (port !== undefined) {
      this.add(step, 'ok', `${target} has a port: no SRV lookup; connect to ${hostname} port ${port}`)
      return [{ hostname, port, tlsName: hostname, hostHeader: target }]
    }
    for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
      const records = (await this.#network.srv(`${service}.${hostname}`)).filter(record => record.name !== '' && record.name !== '.')
      if (records.length === 0) continue
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight)
      const chain = records.map(record => `${record.name}:${record.port} (priority ${record.priority}, weight ${record.weight})`).join(', then ')
      if (service === '_matrix._tcp') {
        this.add(step, 'warn', `SRV ${service}.${hostname} → ${chain}`, `_matrix._tcp is deprecated: publish _matrix-fed._tcp.${hostname} with the same records (the old one still works today)`)
      } else {
        this.add(step, 'ok', `SRV ${service}.${hostname} → ${chain}`)
      }
      const aliases = await Promise.all(records.map(record => this.#network.cname(record.name)))
      for (const [index, alias] of aliases.entries()) {
        if (alias === undefined) continue
        this.add(step, 'warn', `SRV target ${records[index]!.name} is a CNAME for ${alias}: RFC 2782 forbids it, and some resolvers do not follow it`,
          `point the SRV record at ${alias} itself`)
      }
      return records.map(record => ({ hostname: record.name, port: record.port, tlsName: hostname, hostHeader: hostname }))
    }
    this.add(step, 'ok', `no SRV record for ${hostname}: connect to ${hostname} port 8448`)
    return [{ hostname, port: 8448, tlsName: hostname, hostHeader: hostname }]
  }

  /** Steps 3 and 4: TLS and the signed keys on every address a remote server may use. Returns the addresses that work. */
  async addresses (name: string, targets: readonly Target[]): Promise<Array<{ target: Target, endpoint: Endpoint }>> {
    const resolved = await Promise.all(targets.map(async target => ({ target, endpoints: await this.#network.endpoints(target.hostname, target.port) })))
    const probes = await Promise.all(resolved.flatMap(({ target, endpoints }) =>
      endpoints.map(async endpoint => ({ target, endpoint, outcome: await this.probe(name, target, endpoint) }))))
    const working = probes.filter(probe => probe.outcome.works)
    const refusedLevel: Level = working.length > 0 ? 'warn' : 'fail'
    for (const { target, endpoints } of resolved) {
      if (endpoints.length === 0) {
        this.add('resolve', refusedLevel, `${target.hostname} has no A or AAAA record`, `publish an address for ${target.hostname}`)
      }
    }
    for (const { target, endpoint, outcome } of probes) {
      const address = formatEndpoint(endpoint)
      if (outcome.noRoute !== undefined) {
        this.add('TLS', 'ok', `not checked: no route from this machine to ${target.hostname} (${outcome.noRoute})`, undefined, address)
      } else if (outcome.refused !== undefined) {
        this.add('TLS', refusedLevel, `no connection to ${target.hostname}: ${outcome.refused}${working.length > 0 ? '; remote servers move on to another address, after a delay' : ''}`,
          `make the homeserver's federation listener reachable on ${target.hostname} port ${target.port}`, address)
      }
      for (const finding of outcome.findings) this.add(finding.step, finding.level, finding.detail, finding.fix, address)
    }
    return working
  }

  /** One address: the connection, the certificate, then the keys. */
  async probe (name: string, target: Target, endpoint: Endpoint): Promise<{ works: boolean, refused?: string, noRoute?: string, findings: Finding[] }> {
    let exchange: Exchange
    try {
      exchange = await this.#network.exchange({ endpoint, hostname: target.tlsName, path: '/_matrix/key/v2/server', hostHeader: target.hostHeader, headers: { 'user-agent': SYNAPSE_AGENT } })
    } catch (err) {
      const { message, connected, unreachable } = err as ExchangeError
      if (unreachable) return { works: false, noRoute: message, findings: [] }
      if (!connected) return { works: false, refused: message, findings: [] }
      return {
        works: false,
        findings: [{ step: 'TLS', level: 'fail', detail: `${target.hostname} accepts the connection, then: ${message}; remote servers that pick this address do not move on`, fix: `make ${target.hostname} port ${target.port} serve the homeserver's federation API over TLS 1.2 or newer` }]
      }
    }
    const { tls } = exchange
    if (tls.nameMismatch !== undefined) {
      return { works: false, findings: [{ step: 'TLS', level: 'fail', detail: `${tls.protocol}, the certificate does not name ${target.tlsName}: ${tls.nameMismatch}`, fix: `use a certificate whose names include ${target.tlsName}` }] }
    }
    if (tls.untrusted !== undefined) {
      return { works: false, findings: [{ step: 'TLS', level: 'fail', detail: `${tls.protocol}, the certificate is not trusted: ${tls.untrusted}`, fix: 'use a certificate from a public CA, with its full chain (and renew it before it expires)' }] }
    }
    const findings: Finding[] = []
    const daysLeft = Math.floor((tls.validTo.getTime() - this.#now) / DAY_MS)
    const validTo = tls.validTo.toISOString().slice(0, 10)
    if (daysLeft < CERTIFICATE_WARNING_DAYS) {
      findings.push({ step: 'TLS', level: 'warn', detail: `${tls.protocol}, certificate for ${target.tlsName} expires in ${daysLeft} days (${validTo})`, fix: 'renew the certificate: automatic renewal (ACME) may be failing' })
    } else {
      findings.push({ step: 'TLS', level: 'ok', detail: `${tls.protocol}, certificate for ${target.tlsName}, valid until ${validTo}` })
    }
    if (exchange.status !== 200) {
      findings.push({ step: 'server keys', level: 'fail', detail: `/_matrix/key/v2/server answered ${exchange.status}`, fix: 'route /_matrix/ on this port to the homeserver' })
    } else {
      for (const finding of keyFindings(exchange.body, contentType(exchange.headers), name, this.#now)) findings.push({ step: 'server keys', ...finding })
    }
    return { works: findings.every(finding => finding.level !== 'fail'), findings }
  }

  /** The server's software and version, from the first address that works. */
  async version (target: Target, endpoint: Endpoint): Promise<void> {
    const step = 'server version'
    const fix = 'route /_matrix/federation/ on this port to the homeserver'
    let exchange: Exchange
    try {
      exchange = await this.#network.exchange({ endpoint, hostname: target.tlsName, path: '/_matrix/federation/v1/version', hostHeader: target.hostHeader, headers: { 'user-agent': SYNAPSE_AGENT } })
    } catch (err) {
      this.add(step, 'warn', `GET /_matrix/federation/v1/version failed: ${(err as Error).message}`, fix)
      return
    }
    const parsed = parseJson(exchange.body)
    const server = isPlainObject(parsed.value) ? parsed.value.server : undefined
    if (exchange.status !== 200 || !isPlainObject(server) || typeof server.name !== 'string') {
      this.add(step, 'warn', `/_matrix/federation/v1/version answered ${exchange.status} without a server name and version`, fix)
      return
    }
    this.add(step, 'ok', `${server.name.slice(0, 100)} ${String(server.version ?? '(no version)').slice(0, 100)}`)
  }

  /** The client well-known, as a browser client fetches it; it does not decide federation. */
  async clientWellKnown (hostname: string): Promise<void> {
    const step = 'client well-known'
    const browser = { 'user-agent': BROWSER_AGENT, origin: BROWSER_ORIGIN }
    const fetched = await this.fetch(new URL(`https://${hostname}/.well-known/matrix/client`), browser)
    this.reportCors(step, fetched.hops)
    if (!fetched.ok) {
      // No web server at all for the name: clients ask for the homeserver URL, as when there is no file.
      this.add(step, fetched.connected ? 'fail' : 'warn', fetched.error, `make https://${hostname}/.well-known/matrix/client answer, or answer 404 when there is none`)
      return
    }
    const { exchange, url } = fetched
    if (exchange.status === 404) {
      this.add(step, 'ok', 'not published: clients will ask their users for the homeserver URL')
      return
    }
    const { parsed, problem } = clientFile(exchange, clientDocumentProblem)
    if (problem !== undefined) {
      this.add(step, 'fail', problem, 'serve {"m.homeserver": {"base_url": "https://…"}} with status 200, or 404 when there is none')
      return
    }
    const document = parsed.value as { 'm.homeserver': { base_url: string } } & Record<string, unknown>
    const baseUrl = document['m.homeserver'].base_url
    this.add(step, 'ok', `${exchange.status}, m.homeserver.base_url = ${baseUrl}`)
    this.documentHeaders(step, exchange)
    for (const key of Object.keys(OBSOLETE_CLIENT_KEYS).filter(key => key in document)) {
      this.add(step, 'warn', `"${key}" is obsolete: ${OBSOLETE_CLIENT_KEYS[key]}`, `remove "${key}"`)
    }
    await Promise.all([this.preflight(step, url), this.clientVersions(baseUrl)])
  }

  reportCors (step: Step, hops: readonly Hop[]): void {
    for (const hop of hops) {
      if (hop.cors) {
        this.add(step, 'ok', `${hop.from.href} redirects (${hop.status}) to ${hop.to.href}, with CORS`)
      } else {
        this.add(step, 'warn', `${hop.from.href} redirects (${hop.status}) to ${hop.to.href} without Access-Control-Allow-Origin: browsers drop the redirect`,
          'add "Access-Control-Allow-Origin: *" to the redirect (spec v1.20, MSC4402), or serve the file directly')
      }
    }
  }

  documentHeaders (step: Step, exchange: Exchange): void {
    const type = contentType(exchange.headers)
    if (!isJsonType(type)) {
      this.add(step, 'warn', `served as ${type}`, 'serve it as application/json')
    }
    if (exchange.headers['access-control-allow-origin'] === undefined) {
      this.add(step, 'warn', 'no Access-Control-Allow-Origin header: browser clients such as Element Web cannot read it', 'add "Access-Control-Allow-Origin: *"')
    }
  }

  async preflight (step: Step, url: URL): Promise<void> {
    const fetched = await this.fetch(url, { origin: BROWSER_ORIGIN, 'access-control-request-method': 'GET', 'user-agent': BROWSER_AGENT }, undefined, 'OPTIONS')
    const ok = fetched.ok && fetched.hops.length === 0 && fetched.exchange.status < 300 && fetched.exchange.headers['access-control-allow-origin'] !== undefined
    if (!ok) {
      const what = !fetched.ok ? fetched.error : fetched.hops.length > 0 ? 'is redirected' : `answered ${fetched.exchange.status} without Access-Control-Allow-Origin`
      this.add(step, 'warn', `the CORS preflight (OPTIONS) ${what}`, 'answer OPTIONS with 204 or 200 and "Access-Control-Allow-Origin: *", without a redirect')
    }
  }

  async clientVersions (baseUrl: string): Promise<void> {
    const step = 'client well-known'
    const url = new URL(`${baseUrl.replace(/\/+$/, '')}/_matrix/client/versions`)
    const fetched = await this.fetch(url, { origin: BROWSER_ORIGIN, 'user-agent': BROWSER_AGENT })
    const parsed = fetched.ok ? parseJson(fetched.exchange.body) : undefined
    const versions = isPlainObject(parsed?.value) ? parsed.value : undefined
    if (!fetched.ok || fetched.exchange.status !== 200 || !Array.isArray(versions?.versions)) {
      this.add(step, 'fail', `${url.href} ${fetched.ok ? `answered ${fetched.exchange.status} without a list of versions` : `failed: ${fetched.error}`}`,
        `point m.homeserver.base_url at the homeserver's client API (${baseUrl} must answer /_matrix/client/versions)`)
      return
    }
    this.add(step, 'ok', `${url.href} answers: ${versions.versions.slice(-1).join('')}${versions.versions.length > 1 ? ' and older' : ''}`)
    if (fetched.exchange.headers['access-control-allow-origin'] === undefined) {
      this.add(step, 'warn', `${url.href} has no Access-Control-Allow-Origin header: browser clients cannot use the homeserver`, 'let the homeserver send its CORS headers: check the proxy in front of it')
    }
    const features = isPlainObject(versions.unstable_features) ? versions.unstable_features : {}
    if (features['org.matrix.simplified_msc3575'] !== true) {
      this.add(step, 'warn', 'the homeserver does not advertise simplified sliding sync (org.matrix.simplified_msc3575): Element X will not log in to this server',
        'upgrade the homeserver (Synapse 1.114 or newer supports it)')
    }
  }

  /** The support well-known (spec v1.10), when there is one. */
  async supportWellKnown (hostname: string): Promise<void> {
    const step = 'support well-known'
    const fetched = await this.fetch(new URL(`https://${hostname}/.well-known/matrix/support`), { origin: BROWSER_ORIGIN, 'user-agent': BROWSER_AGENT })
    this.reportCors(step, fetched.hops)
    if (!fetched.ok) {
      this.add(step, 'warn', fetched.error, 'make the file answer, or answer 404 when there is none')
      return
    }
    const { exchange } = fetched
    if (exchange.status === 404) {
      this.add(step, 'ok', 'not published')
      return
    }
    const { problem } = clientFile(exchange, supportDocumentProblem)
    if (problem !== undefined) {
      this.add(step, 'warn', problem, 'serve {"contacts": [{"role": "m.role.admin", "email_address": "…"}]} or {"support_page": "https://…"} with status 200, or 404')
      return
    }
    this.add(step, 'ok', `${exchange.status}, a valid support document`)
    this.documentHeaders(step, exchange)
  }
}

/** An answer as a short text, to compare answers and to show them. */
function answerSummary (fetched: Fetched): string {
  if (!fetched.ok) return `an error (${fetched.error})`
  const { status, headers, body } = fetched.exchange
  const parsed = parseJson(body)
  const delegated = isPlainObject(parsed.value) ? parsed.value['m.server'] : undefined
  if (status === 200 && typeof delegated === 'string') return `200 with m.server ${JSON.stringify(delegated.slice(0, 300))}`
  return `${status} ${contentType(headers).split(';')[0]}`
}

/** A client or support file judged by the validator the service uses for its own: its problem, if any. */
function clientFile (exchange: Exchange, validate: (value: unknown) => FieldProblem | undefined) {
  const parsed = parseJson(exchange.body)
  if (exchange.status !== 200) return { parsed, problem: `answered ${exchange.status}` }
  if (parsed.problem !== undefined) return { parsed, problem: `the body ${parsed.problem}` }
  const problem = validate(parsed.value)
  return { parsed, problem: problem === undefined ? undefined : `${problem.field} ${problem.problem}` }
}

export async function checkDelegation (options: CheckOptions): Promise<CheckReport> {
  const checker = new Checker(options)
  const { name } = options
  const parsed = parseServerName(name)
  if (parsed.problem !== undefined) {
    checker.add('server name', 'fail', `"${name}" ${parsed.problem}`, 'give a server name such as example.com, as in @user:example.com')
    return summarise(name, checker.findings, 0)
  }
  const { kind, port, hostname } = parsed.value
  const clientFiles = kind === 'dns' ? Promise.all([checker.clientWellKnown(hostname), checker.supportWellKnown(hostname)]) : undefined
  // The spec fetches the well-known only for a host name without a port.
  const delegated = kind === 'dns' && port === undefined ? await checker.serverWellKnown(name) : undefined
  const targets = await checker.resolve(delegated ?? name)
  const working = await checker.addresses(name, targets)
  checker.settle(working.length > 0)
  if (working.length > 0) await checker.version(working[0]!.target, working[0]!.endpoint)
  await clientFiles
  return summarise(name, checker.findings, working.length)
}
