// What every step of the check works with: the network, the findings so far
// and the time the check started; and who it asks as.
import type { Findings } from './findings.js'
import type { Network } from './network.js'

export interface CheckContext {
  readonly network: Network
  readonly findings: Findings
  /** When the check started, in ms since the epoch: certificates and keys are judged against it. */
  readonly now: number
}

// What homeservers send (Synapse: hs.version_string; Go servers: net/http's default),
// and what a browser sends: a bot filter tells them apart by these.
export const SYNAPSE_AGENT = 'Synapse/1.157.1'
export const GO_AGENT = 'Go-http-client/1.1'
export const BROWSER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
/** The origin of a web client, as a browser sends it on a cross-origin request. */
export const BROWSER_ORIGIN = 'https://app.element.io'

/** The headers of a web client's cross-origin request. */
export const AS_BROWSER: Readonly<Record<string, string>> = Object.freeze({ 'user-agent': BROWSER_AGENT, origin: BROWSER_ORIGIN })
