// What the findings add up to: the verdict and the exit decision.
import t from 'tap'
import type { Finding } from '../../src/check/findings.js'
import { passes, summarise } from '../../src/check/verdict.js'

const ok = (step: Finding['step'], detail: string, address?: string): Finding => ({ step, level: 'ok', detail, ...(address === undefined ? {} : { address }) })
const warn = (step: Finding['step'], detail: string, address?: string): Finding => ({ step, level: 'warn', detail, fix: `fix ${detail}`, ...(address === undefined ? {} : { address }) })
const fail = (step: Finding['step'], detail: string, address?: string): Finding => ({ step, level: 'fail', detail, fix: `fix ${detail}`, ...(address === undefined ? {} : { address }) })

t.test('the four verdicts', async t => {
  const clean = summarise('example.com', [ok('server well-known', 'a'), ok('TLS', 'b', '127.0.0.1:443')], 1)
  t.match(clean, { federates: true, summary: { verdict: 'federates', failures: 0, warnings: 0, failingAddresses: [], text: 'example.com federates: remote servers reach a server that proves it is example.com.' } })

  const warned = summarise('example.com', [warn('resolve', 'a'), fail('client well-known', 'b')], 1)
  t.match(warned, { federates: true, summary: { verdict: 'federates with warnings', failures: 1, warnings: 1, clientProblems: ['clients cannot find the homeserver'], text: 'example.com federates, with 1 warning; clients cannot find the homeserver: see ✗ above.' } })
  t.match(summarise('example.com', [warn('resolve', 'a')], 1).summary, { clientProblems: [], text: 'example.com federates, with 1 warning: see ⚠ above.' })
  t.match(summarise('example.com', [warn('resolve', 'a'), warn('TLS', 'b')], 1).summary.text, /with 2 warnings/)

  const some = summarise('example.com', [fail('TLS', 'a', '127.0.0.4:443'), fail('server keys', 'b', '127.0.0.4:443'), fail('server well-known', 'c', '127.0.0.2:443')], 1)
  t.match(some, { federates: false, summary: { verdict: 'fails for some servers', failingAddresses: ['127.0.0.2:443', '127.0.0.4:443'], text: 'example.com fails for some servers: those reaching 127.0.0.2:443, 127.0.0.4:443. Fix the ✗ above.' } })
  t.match(summarise('example.com', [fail('TLS', 'a', '[::1]:443')], 1).summary.text, /those reaching \[::1\]:443 \(over IPv6\)/)

  t.match(summarise('example.com', [fail('TLS', 'a', '127.0.0.4:443')], 0).summary, { verdict: 'does not federate', text: 'example.com does not federate: fix the first ✗ above and run the check again.' })
  t.match(summarise('example.com', [fail('server well-known', 'a'), fail('TLS', 'b', '127.0.0.4:443')], 1).summary, { verdict: 'does not federate' })
})

t.test('the exit decision: failures on the federation path; with strict, any warning or failure', async t => {
  const warned = summarise('example.com', [warn('resolve', 'a')], 1)
  const clientFailure = summarise('example.com', [fail('client well-known', 'a')], 1)
  const failed = summarise('example.com', [fail('server keys', 'a', '127.0.0.1:443')], 0)
  const clean = summarise('example.com', [ok('resolve', 'a')], 1)
  const reports = [clean, warned, clientFailure, failed]
  t.same(reports.map(report => passes(report, false)), [true, true, true, false])
  t.same(reports.map(report => passes(report, true)), [true, false, false, false])
})

t.test('the last line names what client-side ✗ break, whatever the verdict on federation', async t => {
  const calls = fail('calls', 'no focus')
  const signIn = fail('sign-in', 'no CORS')
  t.match(summarise('example.com', [ok('resolve', 'a'), calls], 1).summary,
    { verdict: 'federates', clientProblems: ['calls will fail'], text: 'example.com federates; calls will fail: see ✗ above.' })
  t.match(summarise('example.com', [fail('client TLS', 'a'), calls, signIn], 1).summary, {
    clientProblems: ['clients cannot read the client file', 'calls will fail', 'sign-in will fail'],
    text: 'example.com federates; clients cannot read the client file, and calls will fail, and sign-in will fail: see ✗ above.'
  })
  t.match(summarise('example.com', [fail('TLS', 'a', '127.0.0.4:443'), signIn], 1).summary,
    { verdict: 'fails for some servers', text: 'example.com fails for some servers: those reaching 127.0.0.4:443. Fix the ✗ above; besides, sign-in will fail.' })
  t.match(summarise('example.com', [fail('server well-known', 'a'), calls], 0).summary,
    { verdict: 'does not federate', text: 'example.com does not federate: fix the first ✗ above and run the check again; besides, calls will fail.' })
  t.same(summarise('example.com', [warn('calls', 'a'), warn('support well-known', 'b')], 1).summary.clientProblems, [], 'warnings break nothing')
})
