// Which hosts remote homeservers can reach: never loopback, unspecified or
// numeric shorthands; private ranges within a private federation only.
import t from 'tap'
import { numericHostProblem, privateHostWarning, unreachableHostProblem } from '../src/federation-host.js'
import { parseServerName } from '../src/validators.js'

const facts = (serverName: string) => parseServerName(serverName).value!

t.test('loopback, unspecified and numeric-shorthand hosts are refused, each with its reason', async t => {
  const refused: Array<[string, RegExp]> = [
    ['localhost:443', /a loopback name/], ['LocalHost', /a loopback name/], ['matrix.localhost:8448', /a loopback name/],
    ['127.0.0.1:8448', /a loopback address/], ['127.53.0.9', /a loopback address/], ['[::1]:443', /a loopback address/],
    ['[0:0:0:0:0:0:0:1]:443', /a loopback address/], ['[::ffff:127.0.0.1]:443', /a loopback address/],
    ['0.0.0.0:443', /an unspecified address/], ['[::]:443', /an unspecified address/], ['0.1.2.3', /an unspecified address/],
    ['2130706433:443', /URL parsers read as an IPv4 address/], ['0x7f.0.0.1:443', /URL parsers read as an IPv4 address/],
    ['127.1:8448', /URL parsers read as an IPv4 address/], ['matrix.0x10', /URL parsers read as an IPv4 address/]
  ]
  for (const [serverName, reason] of refused) {
    const { hostname, kind } = facts(serverName)
    t.match(unreachableHostProblem(hostname, kind), reason, serverName)
  }
})

t.test('public hosts pass; private ranges pass with advice', async t => {
  for (const serverName of ['matrix.example.com:443', '192.0.2.10:8448', '[2001:db8::1]:443', 'localhost.example.com', 'x127.example']) {
    const { hostname, kind } = facts(serverName)
    t.equal(unreachableHostProblem(hostname, kind), undefined, serverName)
    t.equal(privateHostWarning(hostname, kind), undefined, serverName)
  }
  for (const serverName of ['10.0.0.5:8448', '172.16.9.1', '192.168.1.2:443', '100.64.0.1', '169.254.1.1', '[fd00::1]:443', '[fe80::1]', '[::ffff:10.0.0.1]']) {
    const { hostname, kind } = facts(serverName)
    t.equal(unreachableHostProblem(hostname, kind), undefined, serverName)
    t.match(privateHostWarning(hostname, kind), /is a private address: only servers on the same private network can reach it/, serverName)
  }
})

t.test('the numeric-shorthand rule URLs and server names share', async t => {
  t.equal(numericHostProblem('matrix.example.com'), undefined)
  t.match(numericHostProblem('1.2.3'), /^has the host "1\.2\.3", which URL parsers read as an IPv4 address/)
})
