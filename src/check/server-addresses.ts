// Steps 3 to 5: on every address a remote server may connect to, TLS and the
// signed keys (server-server API, "Retrieving server keys"); then the server's
// software and version from the first address that works.
import { isPlainObject, parseJson } from '../validators.js'
import { SYNAPSE_AGENT, type CheckContext } from './context.js'
import type { Finding, Level } from './findings.js'
import { keyFindings } from './keys.js'
import { contentType, type Endpoint, type Exchange, type ExchangeError, type NotChecked } from './exchange.js'
import { formatEndpoint } from './network.js'
import type { Target } from './resolve.js'

const CERTIFICATE_WARNING_DAYS = 14
const DAY_MS = 86_400_000
/** Addresses of one host checked in full; homeservers pick among them, so more say little more. */
export const MAX_ADDRESSES_CHECKED = 8

/** An address a remote server may connect to, with what it answered. */
export interface ProbedAddress {
  readonly target: Target
  readonly endpoint: Endpoint
}

interface ProbeOutcome {
  readonly works: boolean
  /** Why no connection could be made. */
  readonly refused?: string
  /** Why no connection could be tried from this machine. */
  readonly notChecked?: { why: NotChecked, message: string }
  readonly findings: readonly Omit<Finding, 'address'>[]
}

/** Every address of every target: TLS, then the keys. Returns the addresses that work. */
export async function checkServerAddresses (context: CheckContext, name: string,
  targets: readonly Target[]): Promise<ProbedAddress[]> {
  const { network, findings } = context
  const resolved = await Promise.all(targets.map(async target => {
    const endpoints = await network.endpoints(target.hostname, target.port)
    if (endpoints.length > MAX_ADDRESSES_CHECKED) {
      findings.add('TLS', 'ok', `${target.hostname} has ${endpoints.length} addresses: the first ${MAX_ADDRESSES_CHECKED} are checked, not the other ${endpoints.length - MAX_ADDRESSES_CHECKED}`)
    }
    return { target, endpoints: endpoints.slice(0, MAX_ADDRESSES_CHECKED) }
  }))
  const probes = await Promise.all(resolved.flatMap(({ target, endpoints }) =>
    endpoints.map(async endpoint => ({ target, endpoint, outcome: await probe(context, name, target, endpoint) }))))
  const working = probes.filter(probe => probe.outcome.works)
  const refusedLevel: Level = working.length > 0 ? 'warn' : 'fail'
  for (const { target, endpoints } of resolved) {
    if (endpoints.length === 0) {
      findings.add('resolve', refusedLevel, `${target.hostname} has no A or AAAA record`, `publish an address for ${target.hostname}`)
    }
  }
  for (const { target, endpoint, outcome } of probes) {
    const address = formatEndpoint(endpoint)
    if (outcome.notChecked !== undefined) {
      const { why, message } = outcome.notChecked
      const detail = why === 'no route' ? `not checked: no route from this machine to ${target.hostname} (${message})` : `not checked: ${message}`
      findings.add('TLS', 'ok', detail, undefined, address)
    } else if (outcome.refused !== undefined) {
      const movesOn = working.length > 0 ? '; remote servers move on to another address, after a delay' : ''
      findings.add('TLS', refusedLevel, `no connection to ${target.hostname}: ${outcome.refused}${movesOn}`,
        `make the homeserver's federation listener reachable on ${target.hostname} port ${target.port}`, address)
    }
    for (const { step, level, detail, fix } of outcome.findings) findings.add(step, level, detail, fix, address)
  }
  return working
}

/** One address: the connection, the certificate, then the keys. */
async function probe (context: CheckContext, name: string, target: Target, endpoint: Endpoint): Promise<ProbeOutcome> {
  let exchange: Exchange
  try {
    exchange = await context.network.exchange({
      endpoint, hostname: target.tlsName, path: '/_matrix/key/v2/server', hostHeader: target.hostHeader, headers: { 'user-agent': SYNAPSE_AGENT }
    })
  } catch (err) {
    const { message, connected, notChecked } = err as ExchangeError
    if (notChecked !== undefined) return { works: false, notChecked: { why: notChecked, message }, findings: [] }
    if (!connected) return { works: false, refused: message, findings: [] }
    const detail = `${target.hostname} accepts the connection, then: ${message}; remote servers that pick this address do not move on`
    const fix = `make ${target.hostname} port ${target.port} serve the homeserver's federation API over TLS 1.2 or newer`
    return { works: false, findings: [{ step: 'TLS', level: 'fail', detail, fix }] }
  }
  const { tls } = exchange
  if (tls.nameMismatch !== undefined) {
    const detail = `${tls.protocol}, the certificate does not name ${target.tlsName}: ${tls.nameMismatch}`
    return { works: false, findings: [{ step: 'TLS', level: 'fail', detail, fix: `use a certificate whose names include ${target.tlsName}` }] }
  }
  if (tls.untrusted !== undefined) {
    const detail = `${tls.protocol}, the certificate is not trusted: ${tls.untrusted}`
    const fix = 'use a certificate from a public CA, with its full chain (and renew it before it expires)'
    return { works: false, findings: [{ step: 'TLS', level: 'fail', detail, fix }] }
  }
  const findings: Array<Omit<Finding, 'address'>> = [certificateExpiry(context, tls, target.tlsName)]
  if (exchange.status !== 200) {
    findings.push({ step: 'server keys', level: 'fail', detail: `/_matrix/key/v2/server answered ${exchange.status}`, fix: 'route /_matrix/ on this port to the homeserver' })
  } else {
    for (const finding of keyFindings(exchange.body, contentType(exchange.headers), name, context.now)) findings.push({ step: 'server keys', ...finding })
  }
  return { works: findings.every(finding => finding.level !== 'fail'), findings }
}

/** A trusted certificate that names the host: ✓, or ⚠ when it runs out within CERTIFICATE_WARNING_DAYS. */
export function certificateExpiry (context: CheckContext, tls: Exchange['tls'], name: string): Omit<Finding, 'address'> {
  const daysLeft = Math.floor((tls.validTo.getTime() - context.now) / DAY_MS)
  const validTo = tls.validTo.toISOString().slice(0, 10)
  if (daysLeft < CERTIFICATE_WARNING_DAYS) {
    return { step: 'TLS', level: 'warn', detail: `${tls.protocol}, certificate for ${name} expires in ${daysLeft} days (${validTo})`, fix: 'renew the certificate: automatic renewal (ACME) may be failing' }
  }
  return { step: 'TLS', level: 'ok', detail: `${tls.protocol}, certificate for ${name}, valid until ${validTo}` }
}

/** The server's software and version, from the first address that works. */
export async function checkServerVersion (context: CheckContext, { target, endpoint }: ProbedAddress): Promise<void> {
  const step = 'server version'
  const fix = 'route /_matrix/federation/ on this port to the homeserver'
  let exchange: Exchange
  try {
    exchange = await context.network.exchange({
      endpoint, hostname: target.tlsName, path: '/_matrix/federation/v1/version', hostHeader: target.hostHeader, headers: { 'user-agent': SYNAPSE_AGENT }
    })
  } catch (err) {
    context.findings.add(step, 'warn', `GET /_matrix/federation/v1/version failed: ${(err as Error).message}`, fix)
    return
  }
  const parsed = parseJson(exchange.body)
  const server = isPlainObject(parsed.value) ? parsed.value.server : undefined
  if (exchange.status !== 200 || !isPlainObject(server) || typeof server.name !== 'string') {
    context.findings.add(step, 'warn', `/_matrix/federation/v1/version answered ${exchange.status} without a server name and version`, fix)
    return
  }
  context.findings.add(step, 'ok', `${server.name.slice(0, 100)} ${String(server.version ?? '(no version)').slice(0, 100)}`)
}
