// Step 2: where remote servers connect, in the spec's order (server-server
// API, "Resolving server names"): an IP literal, an explicit port, SRV
// records, else port 8448.
import { parseServerName } from '../validators.js'
import type { CheckContext } from './context.js'

/** A place a remote server connects to. */
export interface Target {
  /** The host whose addresses to connect to: an SRV target, or the delegated host itself. */
  readonly hostname: string
  readonly port: number
  /** The name the certificate must carry and TLS asks for: the delegated host. */
  readonly tlsName: string
  readonly hostHeader: string
}

const STEP = 'resolve'
// Homeservers try SRV targets in order and stop at the first that works: the
// first few say what they meet. A hostile or broken answer can hold hundreds.
export const MAX_TARGETS_CHECKED = 10

/** The targets of a server name: `target` is valid, checked by the step before. */
export async function resolveTargets (context: CheckContext, target: string): Promise<Target[]> {
  const { network, findings } = context
  const { hostname, port, kind } = parseServerName(target).value!
  if (kind !== 'dns') {
    findings.add(STEP, 'ok', `${target} is an IP address: connect to port ${port ?? 8448}`)
    return [{ hostname, port: port ?? 8448, tlsName: hostname, hostHeader: target }]
  }
  if (port !== undefined) {
    findings.add(STEP, 'ok', `${target} has a port: no SRV lookup; connect to ${hostname} port ${port}`)
    return [{ hostname, port, tlsName: hostname, hostHeader: target }]
  }
  for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
    const records = (await network.srv(`${service}.${hostname}`)).filter(record => record.name !== '' && record.name !== '.')
    if (records.length === 0) continue
    records.sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    const checked = records.slice(0, MAX_TARGETS_CHECKED)
    const rest = records.length - checked.length
    const chain = checked.map(record => `${record.name}:${record.port} (priority ${record.priority}, weight ${record.weight})`).join(', then ') +
      (rest > 0 ? `, and ${rest} more` : '')
    if (service === '_matrix._tcp') {
      findings.add(STEP, 'warn', `SRV ${service}.${hostname} → ${chain}`,
        `_matrix._tcp is deprecated: publish _matrix-fed._tcp.${hostname} with the same records (the old one still works today)`)
    } else {
      findings.add(STEP, 'ok', `SRV ${service}.${hostname} → ${chain}`)
    }
    if (rest > 0) {
      findings.add(STEP, 'ok', `the first ${checked.length} targets are checked: homeservers try the other ${rest} only when those fail`)
    }
    const aliases = await Promise.all(checked.map(record => network.cname(record.name)))
    for (const [index, alias] of aliases.entries()) {
      if (alias === undefined) continue
      findings.add(STEP, 'warn', `SRV target ${checked[index]!.name} is a CNAME for ${alias}: RFC 2782 forbids it, and some resolvers do not follow it`,
        `point the SRV record at ${alias} itself`)
    }
    return checked.map(({ name, port }) => ({ hostname: name, port, tlsName: hostname, hostHeader: hostname }))
  }
  findings.add(STEP, 'ok', `no SRV record for ${hostname}: connect to ${hostname} port 8448`)
  return [{ hostname, port: 8448, tlsName: hostname, hostHeader: hostname }]
}
