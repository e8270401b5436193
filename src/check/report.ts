// What `check` found, and what it means: each finding at one of three levels,
// the verdict they add up to, and the report for people (`--json` prints the same
// objects; docs/check.md describes their schema).
export type Level = 'ok' | 'warn' | 'fail'

/** The steps in the order a remote homeserver takes them; the client files after. */
export const STEPS = ['server name', 'server well-known', 'resolve', 'TLS', 'server keys', 'server version', 'client well-known', 'support well-known'] as const
export type Step = typeof STEPS[number]
const FEDERATION_STEPS: ReadonlySet<Step> = new Set(STEPS.slice(0, 6))

export interface Finding {
  readonly step: Step
  readonly level: Level
  /** The IP address and port the finding is about, when it is about one. */
  readonly address?: string
  readonly detail: string
  /** What to change, in plain words, for a warning or a failure. */
  readonly fix?: string
}

export type Verdict = 'federates' | 'federates with warnings' | 'fails for some servers' | 'does not federate'

export interface Summary {
  readonly verdict: Verdict
  readonly failures: number
  readonly warnings: number
  /** For "fails for some servers": the addresses whose servers fail. */
  readonly failingAddresses: readonly string[]
  readonly text: string
}

export interface CheckReport {
  readonly name: string
  /** No failure on the federation path: remote homeservers reach a server that proves it is `name`. */
  readonly federates: boolean
  readonly summary: Summary
  readonly findings: readonly Finding[]
}

const MARKS: Readonly<Record<Level, string>> = { ok: '✓', warn: '⚠', fail: '✗' }

export function isFederationStep (step: Step): boolean {
  return FEDERATION_STEPS.has(step)
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
  let summary: Summary
  if (failing.length === 0) {
    summary = warnings === 0
      ? { verdict: 'federates', failures, warnings, failingAddresses: [], text: `${name} federates: remote servers reach a server that proves it is ${name}.` }
      : { verdict: 'federates with warnings', failures, warnings, failingAddresses: [], text: `${name} federates, with ${plural(warnings, 'warning')}: see ⚠ above.` }
  } else if (workingAddresses > 0 && failing.every(finding => finding.address !== undefined)) {
    const failingAddresses = [...new Set(failing.map(finding => finding.address!))]
    const overIpv6 = failingAddresses.every(address => address.startsWith('['))
    summary = {
      verdict: 'fails for some servers',
      failures,
      warnings,
      failingAddresses,
      text: `${name} fails for some servers: those reaching ${failingAddresses.join(', ')}${overIpv6 ? ' (over IPv6)' : ''}. Fix the ✗ above.`
    }
  } else {
    summary = { verdict: 'does not federate', failures, warnings, failingAddresses: [], text: `${name} does not federate: fix the first ✗ above and run the check again.` }
  }
  return { name, federates: failing.length === 0, summary, findings }
}

/** Whether the check passes: no failure on the federation path; with `strict`, no failure or warning at all. */
export function passes (report: CheckReport, strict: boolean): boolean {
  return strict ? report.summary.failures === 0 && report.summary.warnings === 0 : report.federates
}

/** The report for people: findings grouped by step, then by address, and the verdict last. */
export function formatReport (report: CheckReport): string {
  const lines: string[] = []
  for (const step of STEPS) {
    const findings = report.findings.filter(finding => finding.step === step)
    if (findings.length === 0) continue
    lines.push(`${step}`)
    const addresses = [...new Set(findings.map(finding => finding.address))]
    for (const address of addresses) {
      for (const finding of findings.filter(each => each.address === address)) {
        lines.push(`  ${MARKS[finding.level]} ${address === undefined ? '' : `${address}: `}${finding.detail}`)
        if (finding.fix !== undefined) lines.push(`      fix: ${finding.fix}`)
      }
    }
  }
  lines.push(report.summary.text)
  return `${lines.join('\n')}\n`
}

function plural (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
