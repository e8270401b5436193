// `matrix-well-known check <name>`: what remote homeservers do to reach <name>
// (Matrix spec, server-server API, "Resolving server names"), step by step and
// address by address, with a fix for every problem. Verdicts follow what real
// homeservers do (docs/check.md): an address that refuses connections only slows
// them down; one that accepts and then fails breaks every server that picks it.
import { parseServerName } from '../validators.js'
import { checkClientFile } from './client-file.js'
import type { CheckContext } from './context.js'
import { Findings } from './findings.js'
import { Network, type Override } from './network.js'
import { resolveTargets } from './resolve.js'
import { checkServerAddresses, checkServerVersion } from './server-addresses.js'
import { checkServerWellKnown } from './server-well-known.js'
import { checkSupportFile } from './support-file.js'
import { summarise, type CheckReport } from './verdict.js'

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
  /** The network to go through, instead of one made from the options above (a test's stand-in). */
  readonly network?: Network
}

export async function checkDelegation (options: CheckOptions): Promise<CheckReport> {
  const { name, dnsServer, ca, overrides, timeoutMs = 10_000 } = options
  const context: CheckContext = {
    network: options.network ?? new Network({ dnsServer, ca, overrides, timeoutMs }),
    findings: new Findings(),
    now: options.now ?? Date.now()
  }
  const parsed = parseServerName(name)
  if (parsed.problem !== undefined) {
    context.findings.add('server name', 'fail', `"${name}" ${parsed.problem}`, 'give a server name such as example.com, as in @user:example.com')
    return summarise(name, context.findings.all, 0)
  }
  const { kind, port, hostname } = parsed.value
  const clientFiles = kind === 'dns' ? Promise.all([checkClientFile(context, hostname), checkSupportFile(context, hostname)]) : undefined
  // The spec fetches the well-known only for a host name without a port.
  const delegated = kind === 'dns' && port === undefined ? await checkServerWellKnown(context, name) : undefined
  const targets = await resolveTargets(context, delegated ?? name)
  const working = await checkServerAddresses(context, name, targets)
  context.findings.settleFallback(working.length > 0)
  if (working.length > 0) await checkServerVersion(context, working[0]!)
  await clientFiles
  return summarise(name, context.findings.all, working.length)
}
