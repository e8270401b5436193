// The report's layout: findings by step, in the order homeservers take them, then by address.
import t from 'tap'
import type { Finding } from '../../src/check/findings.js'
import { formatReport } from '../../src/check/report.js'
import { summarise } from '../../src/check/verdict.js'

const ok = (step: Finding['step'], detail: string, address?: string): Finding => ({ step, level: 'ok', detail, ...(address === undefined ? {} : { address }) })
const warn = (step: Finding['step'], detail: string, address?: string): Finding => ({ step, level: 'warn', detail, fix: `fix ${detail}`, ...(address === undefined ? {} : { address }) })
const fail = (step: Finding['step'], detail: string, address?: string): Finding => ({ step, level: 'fail', detail, fix: `fix ${detail}`, ...(address === undefined ? {} : { address }) })

t.test('the report groups findings by step, in the order homeservers take them, then by address', async t => {
  const report = summarise('example.com', [
    ok('client well-known', 'client'),
    ok('TLS', 'first', '127.0.0.1:443'),
    fail('TLS', 'second', '127.0.0.4:443'),
    ok('TLS', 'third', '127.0.0.1:443'),
    warn('server well-known', 'document')
  ], 1)
  t.same(report.findings.map(finding => finding.detail), ['document', 'first', 'second', 'third', 'client'], 'JSON keeps the step order too')
  t.equal(formatReport(report), [
    'server well-known',
    '  ⚠ document',
    '      fix: fix document',
    'TLS',
    '  ✓ 127.0.0.1:443: first',
    '  ✓ 127.0.0.1:443: third',
    '  ✗ 127.0.0.4:443: second',
    '      fix: fix second',
    'client well-known',
    '  ✓ client',
    'example.com fails for some servers: those reaching 127.0.0.4:443. Fix the ✗ above.',
    ''
  ].join('\n'))
})
