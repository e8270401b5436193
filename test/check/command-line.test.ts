// The command line's own answers, in-process: help, usage errors and their exit
// codes, and the address options read as curl reads them (test/process/cli.test.ts
// runs the real entry point against a delegation).
import t from 'tap'
import { main } from '../../src/check/command-line.js'
import { Captured } from '../helper.js'
import { APEX, CA_FILE, closeWorld, DNS_SERVER, HS, setUp } from './world.js'

t.teardown(closeWorld)

async function cli (args: string[]) {
  const out = new Captured()
  const err = new Captured()
  const code = await main(args, out, err)
  return { code, out: out.text, err: err.text }
}

t.test('--help, unknown commands and bad options, each with its exit code', async t => {
  const help = await cli(['--help'])
  t.equal(help.code, 0)
  t.match(help.out, /^Usage: matrix-well-known check <server-name>.*--dns-server.*--ca-file.*--resolve.*--connect-to/s)
  const usage: Array<[string[], RegExp]> = [
    [[], /unknown command ""/],
    [['serve'], /unknown command "serve"/],
    [['check'], /check takes one server name/],
    [['check', 'a', 'b'], /check takes one server name/],
    [['check', 'a', '--nope'], /Unknown option '--nope'/],
    [['check', 'a', '--resolve', 'x'], /--resolve x: expected host:port:address/],
    [['check', 'a', '--connect-to', 'x:1'], /--connect-to x:1: expected host:port:address:port/],
    [['check', 'a', '--timeout', 'soon'], /--timeout soon: expected a number of seconds from 0\.001 to 300, such as 10/],
    [['check', 'a', '--timeout', '1e10'], /--timeout 1e10: expected a number of seconds/],
    [['check', 'a', '--timeout', '0'], /--timeout 0: expected a number of seconds/],
    [['check', 'a', '--dns-server', 'not-an-ip'], /--dns-server not-an-ip: expected an IP address with an optional port, such as 127\.0\.0\.1:53/],
    [['check', 'a', '--connect-to', 'a:443:127.0.0.1:0'], /--connect-to a:443:127\.0\.0\.1:0: expected host:port:address:port with ports from 1 to 65535/],
    [['check', 'a', '--connect-to', 'a:0:127.0.0.1:443'], /--connect-to a:0:127\.0\.0\.1:443: expected/],
    [['check', 'a', '--resolve', 'a:443:not-an-address'], /--resolve a:443:not-an-address: expected host:port:address\[,address…\]/],
    [['check', 'a', '--resolve', 'a:99999:127.0.0.1'], /--resolve a:99999:127\.0\.0\.1: expected/],
    [['check', 'a', '--ca-file', '/nonexistent.pem'], /--ca-file: ENOENT/]
  ]
  for (const [args, message] of usage) {
    const result = await cli(args)
    t.equal(result.code, 2, args.join(' '))
    t.match(result.err, message)
    t.equal(result.out, '')
  }
})

t.test('the command line reads curl-style address lists, bracketed IPv6 and kept addresses', async t => {
  setUp({}, 'multi.example.com')
  const out = new Captured()
  const err = new Captured()
  const code = await main(['check', 'multi.example.com', '--dns-server', DNS_SERVER, '--ca-file', CA_FILE,
    '--resolve', 'multi.example.com:443:127.0.0.1,[::1]', '--connect-to', `multi.example.com:443::${APEX}`,
    '--connect-to', `matrix.example.com:${HS}:[::1]:${HS}`, '--connect-to', `matrix.example.com:${HS}:127.0.0.1:`, '--connect-to', 'unused.example.com:443:127.0.0.1:'], out, err)
  const text = out.text
  t.match(text, new RegExp(`✓ the same answer from each address: 127\\.0\\.0\\.1:${APEX}, \\[::1\\]:${APEX}\\n`), 'both --resolve addresses, on the --connect-to port')
  t.match(text, new RegExp(`✓ 127\\.0\\.0\\.1:${HS}: TLSv1\\.3`), 'the last mapping of a host:port wins')
  t.equal(code, 0, err.text)
})
