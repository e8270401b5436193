// The findings as the steps record them: levels, addresses, fixes, and the
// ones whose level waits on remote servers' fallback.
import t from 'tap'
import { Findings, isFederationStep, STEPS } from '../../src/check/findings.js'

t.test('records each finding with only the fields it has', async t => {
  const findings = new Findings()
  findings.add('resolve', 'ok', 'no SRV record')
  findings.add('TLS', 'fail', 'expired', 'renew it', '127.0.0.1:443')
  t.same(findings.all, [
    { step: 'resolve', level: 'ok', detail: 'no SRV record' },
    { step: 'TLS', level: 'fail', detail: 'expired', fix: 'renew it', address: '127.0.0.1:443' }
  ])
})

t.test('a finding that depends on the fallback is ✗ until settled, then its own level only when the fallback works', async t => {
  const working = new Findings()
  working.addDependingOnFallback('server well-known', 'warn', 'answered 500', 'serve it')
  t.equal(working.all[0]!.level, 'fail', 'a failure until the fallback is known')
  working.settleFallback(true)
  t.same(working.all, [{ step: 'server well-known', level: 'warn', detail: 'answered 500', fix: 'serve it' }])

  const broken = new Findings()
  broken.addDependingOnFallback('server well-known', 'ok', 'not published')
  broken.add('resolve', 'ok', 'no SRV record')
  broken.settleFallback(false)
  t.same(broken.all.map(finding => finding.level), ['fail', 'ok'], 'only the findings that waited change')
})

t.test('the federation path is the steps before the client files', async t => {
  t.same(STEPS.filter(isFederationStep), ['server name', 'server well-known', 'resolve', 'TLS', 'server keys', 'server version'])
  t.same(STEPS.filter(step => !isFederationStep(step)), ['client well-known', 'client TLS', 'calls', 'sign-in', 'support well-known'])
})

t.test('a detail, much of which can come from the remote side, stays a line of readable length', async t => {
  const findings = new Findings()
  findings.add('server well-known', 'fail', 'x'.repeat(5000))
  t.equal(findings.all[0]!.detail.length, 1000)
  t.match(findings.all[0]!.detail, /^x+…$/)
})
