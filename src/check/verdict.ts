// What the findings add up to: the verdict, the report's last line, and
// whether the check passes (the exit code). Failures on the client side do not
// change the verdict on federation, but the last line names what they break.
import { isFederationStep, STEPS, type Finding, type Step } from './findings.js'

export type Verdict = 'federates' | 'federates with warnings' | 'fails for some servers' | 'does not federate'

export interface Summary {
  readonly verdict: Verdict
  readonly failures: number
  readonly warnings: number
  /** For "fails for some servers": the addresses whose servers fail. */
  readonly failingAddresses: readonly string[]
  /** What the ✗ on the client side break, as the last line says it, e.g. "calls will fail". */
  readonly clientProblems: readonly string[]
  readonly text: string
}

// What a ✗ in each client-side step breaks.
const CLIENT_PROBLEMS: ReadonlyArray<[Step, string]> = [
  ['client well-known', 'clients cannot find the homeserver'],
  ['client TLS', 'clients cannot read the client file'],
  ['calls', 'calls will fail'],
  ['sign-in', 'sign-in will fail']
]

export interface CheckReport {
  readonly name: string
  /** No failure on the federation path: remote homeservers reach a server that proves it is `name`. */
  readonly federates: boolean
  readonly summary: Summary
  readonly findings: readonly Finding[]
}

/**
 * The verdict: failures on the federation path decide it. When each is about
 * one address and some address works, only the servers that pick a failing
 * address fail.
 */
export function summarise (name: string, found: readonly Finding[], workingAddresses: number): CheckReport {
  // Steps run concurrently: the report lists them in the order homeservers take them.
  const findings = [...found].sort((a, b) => STEPS.indexOf(a.step) - STEPS.indexOf(b.step))
  const failing = findings.filter(finding => finding.level === 'fail' && isFederationStep(finding.step))
  const failures = findings.filter(finding => finding.level === 'fail').length
  const warnings = findings.filter(finding => finding.level === 'warn').length
  const clientProblems = CLIENT_PROBLEMS.filter(([step]) => findings.some(finding => finding.step === step && finding.level === 'fail'))
    .map(([, problem]) => problem)
  const counts = { failures, warnings, clientProblems }
  const broken = clientProblems.join(', and ')
  let summary: Summary
  if (failing.length === 0) {
    const withWarnings = warnings === 0 ? '' : `, with ${plural(warnings, 'warning')}`
    const text = clientProblems.length > 0
      ? `${name} federates${withWarnings}; ${broken}: see ✗ above.`
      : warnings === 0
        ? `${name} federates: remote servers reach a server that proves it is ${name}.`
        : `${name} federates${withWarnings}: see ⚠ above.`
    summary = { verdict: warnings === 0 ? 'federates' : 'federates with warnings', ...counts, failingAddresses: [], text }
  } else if (workingAddresses > 0 && failing.every(finding => finding.address !== undefined)) {
    const failingAddresses = [...new Set(failing.map(finding => finding.address!))]
    const overIpv6 = failingAddresses.every(address => address.startsWith('['))
    summary = {
      verdict: 'fails for some servers',
      ...counts,
      failingAddresses,
      text: `${name} fails for some servers: those reaching ${failingAddresses.join(', ')}${overIpv6 ? ' (over IPv6)' : ''}. ` +
        `Fix the ✗ above${clientProblems.length > 0 ? `; besides, ${broken}` : ''}.`
    }
  } else {
    const text = `${name} does not federate: fix the first ✗ above and run the check again${clientProblems.length > 0 ? `; besides, ${broken}` : ''}.`
    summary = { verdict: 'does not federate', ...counts, failingAddresses: [], text }
  }
  return { name, federates: failing.length === 0, summary, findings }
}

/** Whether the check passes: no failure on the federation path; with `strict`, no failure or warning at all. */
export function passes (report: CheckReport, strict: boolean): boolean {
  return strict ? report.summary.failures === 0 && report.summary.warnings === 0 : report.federates
}

function plural (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
