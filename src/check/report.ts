// The check's report for people: findings grouped by step, then by address,
// and the verdict last (`--json` prints the same objects; docs/check.md
// describes their schema).
import { STEPS, type Level } from './findings.js'
import type { CheckReport } from './verdict.js'

const MARKS: Readonly<Record<Level, string>> = { ok: '✓', warn: '⚠', fail: '✗' }

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
