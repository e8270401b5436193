// The package's bin, started as a process against the loopback world of
// test/check/world.ts: exit codes, --strict and --json as a monitor sees them.
import t from 'tap'
import { APEX, CA_FILE, closeWorld, delegateTo, DNS_SERVER, HS, json, matrixError, setUp, signedKeys } from '../check/world.js'
import { runCli } from './helper.js'

t.teardown(closeWorld)

t.test('the command line: exit 0 with warnings, 1 with --strict or a failure, --json with the documented fields', async t => {
  setUp({ '* /.well-known/matrix/client': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' } })
  const common = ['--dns-server', DNS_SERVER, '--ca-file', CA_FILE, '--connect-to', `example.com:443::${APEX}`, '--resolve', `matrix.example.com:${HS}:127.0.0.1`, '--connect-to', `matrix.example.com:443::${HS}`, '--timeout', '3']
  const [lenient, strict] = await Promise.all([runCli(['check', 'example.com', ...common]), runCli(['check', 'example.com', '--json', '--strict', ...common])])
  t.equal(lenient.code, 0, lenient.err)
  t.match(lenient.out, /⚠ no Access-Control-Allow-Origin header/)
  t.match(lenient.out, /example\.com federates, with 1 warning: see ⚠ above\.\n$/)
  t.equal(strict.code, 1, '--strict fails on a warning')
  const report = JSON.parse(strict.out)
  t.match(report, { name: 'example.com', federates: true, summary: { verdict: 'federates with warnings', failures: 0, warnings: 1, failingAddresses: [], text: String }, findings: Array })
  for (const finding of report.findings) {
    t.same(Object.keys(finding).filter(key => !['step', 'level', 'address', 'detail', 'fix'].includes(key)), [], 'only the documented fields')
  }

  setUp(delegateTo('https://matrix.example.com'))
  const failing = await runCli(['check', 'example.com', ...common.slice(0, -2)])
  t.equal(failing.code, 1, 'with the default timeout too')
  t.match(failing.out, /fix: m\.server has a scheme/)
})

t.test('300 SRV targets under a low file descriptor limit: a verdict, and no resource error', async t => {
  setUp({ '* /_matrix/key/v2/server': json(signedKeys('many.example.com')) }, 'many.example.com')
  // The check's own connections stay few whatever the DNS answer holds: 64
  // descriptors are enough, where one connection per address would need hundreds.
  const args = ['check', 'many.example.com', '--dns-server', DNS_SERVER, '--ca-file', CA_FILE, '--timeout', '5']
  const { code, out, err } = await runCli(args, undefined, { maxOpenFiles: 64 })
  t.equal(err, '')
  t.notOk(/EMFILE|ENFILE|file descriptor/.test(out), 'no resource error')
  t.match(out, /the first 10 targets are checked: homeservers try the other 290 only when those fail/)
  t.match(out, /many\.example\.com federates, with \d+ warnings: see ⚠ above\.\n$/)
  t.equal(code, 0)
})

t.test('client-side failures: exit 0, the last line naming them; 1 with --strict; clientProblems in --json', async t => {
  setUp({
    '* /_matrix/client/v1/rtc/transports': matrixError(404, 'M_UNRECOGNIZED'),
    '* /_matrix/client/unstable/org.matrix.msc4143/rtc/transports': matrixError(404, 'M_UNRECOGNIZED')
  })
  const common = ['--dns-server', DNS_SERVER, '--ca-file', CA_FILE, '--connect-to', `example.com:443::${APEX}`, '--connect-to', `matrix.example.com:443::${HS}`, '--timeout', '3']
  const [lenient, strict] = await Promise.all([runCli(['check', 'example.com', ...common]), runCli(['check', 'example.com', '--json', '--strict', ...common])])
  t.equal(lenient.code, 0, 'calls do not decide federation')
  t.match(lenient.out, /✗ no focus for calls: .*\n {6}fix: publish your LiveKit JWT service/)
  t.match(lenient.out, /\nexample\.com federates; calls will fail: see ✗ above\.\n$/)
  t.equal(strict.code, 1, '--strict fails on a client-side ✗')
  t.match(JSON.parse(strict.out), { federates: true, summary: { verdict: 'federates', failures: 1, clientProblems: ['calls will fail'] } })
})
