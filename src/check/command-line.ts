// `matrix-well-known <command>`: the admin's tools (the server itself starts with
// `node dist/server.js`). main() returns the exit code and writes only to the
// streams it is given, so that tests run it in-process.
import { Resolver } from 'node:dns'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { checkDelegation } from './check.js'
import { bare } from './exchange.js'
import type { Override } from './network.js'
import { formatReport } from './report.js'
import { passes } from './verdict.js'
import { EXIT_CODES } from '../exit-codes.js'

const HELP = `Usage: matrix-well-known check <server-name> [options]

Checks what remote homeservers do to federate with <server-name>: the
/.well-known/matrix/server file from every address of the name and as
homeservers and browsers ask for it, SRV and address records, TLS and the
signed keys on every address a remote server may use, the server version; then
what clients need: the client file and the apex's TLS, calls (Element Call's
foci, the LiveKit JWT service) and sign-in (auth_metadata), and the support
file. Each finding is ✓ fine, ⚠ works but fragile, or ✗ fails, with a fix.
Exit code 0 when nothing fails on the federation path (warnings and
client-side failures allowed), 1 when something does, 2 for a usage error.

Options:
  --json                      print the report as JSON (schema: docs/check.md)
  --strict                    exit 1 on any warning or failure, the client side
                              included (for monitoring and CI)
  --dns-server <ip[:port]>    ask this DNS server instead of the system's
  --ca-file <file>            also trust the PEM certificates in <file>
  --resolve <host:port:addr[,addr…]>
                              connect to these addresses for <host:port> (like curl); repeatable
  --connect-to <host:port:addr:port>
                              connect to <addr:port> for <host:port> (like curl; an empty
                              addr or port keeps the resolved one); repeatable
  --timeout <seconds>         the most each request may take (default 10, at most 300)
  -h, --help                  this text

Examples:
  npx matrix-well-known check example.com
  docker run --rm matrix-well-known dist/cli.js check example.com
`

const MAX_TIMEOUT_S = 300

export const OPTIONS = {
  json: { type: 'boolean' },
  strict: { type: 'boolean' },
  'dns-server': { type: 'string' },
  'ca-file': { type: 'string' },
  resolve: { type: 'string', multiple: true },
  'connect-to': { type: 'string', multiple: true },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

/** Runs the command line; returns the exit code. */
export async function main (argv: readonly string[], out: NodeJS.WritableStream,
  err: NodeJS.WritableStream): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true })
  } catch (error) {
    err.write(`matrix-well-known: ${(error as Error).message}\n`)
    return EXIT_CODES.usage
  }
  const { values, positionals } = parsed
  const [command, name, ...extra] = positionals
  if (values.help === true || command === 'help') {
    out.write(HELP)
    return EXIT_CODES.ok
  }
  if (command !== 'check' || name === undefined || extra.length > 0) {
    err.write(command === 'check'
      ? 'matrix-well-known: check takes one server name, such as example.com (see --help)\n'
      : `matrix-well-known: unknown command ${JSON.stringify(command ?? '')}: try "check <server-name>" or --help\n`)
    return EXIT_CODES.usage
  }
  const overrides = new Map<string, Override>()
  for (const mapping of values.resolve ?? []) {
    const match = /^([^:]+):(\d+):(.+)$/.exec(mapping)
    const addresses = match?.[3]!.split(',').map(bare)
    if (match === null || !validPort(match[2]!) || addresses!.some(address => isIP(address) === 0)) {
      return usage(err, `--resolve ${mapping}: expected host:port:address[,address…], such as example.com:443:192.0.2.1`)
    }
    const key = `${match[1]!}:${Number(match[2])}`
    overrides.set(key, { ...overrides.get(key), addresses: addresses! })
  }
  for (const mapping of values['connect-to'] ?? []) {
    const match = /^([^:]+):(\d+):(\[[^\]]*\]|[^:]*):(\d*)$/.exec(mapping)
    if (match === null || !validPort(match[2]!) || (match[4] !== '' && !validPort(match[4]!))) {
      return usage(err, `--connect-to ${mapping}: expected host:port:address:port with ports from 1 to 65535, such as example.com:443:192.0.2.1:8443`)
    }
    // As in curl, --resolve and --connect-to for one host:port combine; an empty part keeps what was there.
    const key = `${match[1]!}:${Number(match[2])}`
    const previous = overrides.get(key)
    overrides.set(key, {
      addresses: match[3] === '' ? previous?.addresses ?? [] : [bare(match[3]!)],
      ...(match[4] === '' ? previous?.port === undefined ? {} : { port: previous.port } : { port: Number(match[4]) })
    })
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout) * 1000
  if (timeoutMs !== undefined && !(timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_S * 1000)) {
    return usage(err, `--timeout ${values.timeout}: expected a number of seconds from 0.001 to ${MAX_TIMEOUT_S}, such as 10`)
  }
  const dnsServer = values['dns-server']
  if (dnsServer !== undefined) {
    try {
      new Resolver().setServers([dnsServer])
    } catch {
      return usage(err, `--dns-server ${dnsServer}: expected an IP address with an optional port, such as 127.0.0.1:53 or [::1]:53`)
    }
  }
  let ca: string | undefined
  if (values['ca-file'] !== undefined) {
    try {
      ca = readFileSync(values['ca-file'], 'utf8')
    } catch (error) {
      return usage(err, `--ca-file: ${(error as Error).message}`)
    }
  }
  const report = await checkDelegation({ name, dnsServer, ca, overrides, timeoutMs })
  out.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  return passes(report, values.strict === true) ? EXIT_CODES.ok : EXIT_CODES.failure
}

function validPort (text: string): boolean {
  const port = Number(text)
  return port >= 1 && port <= 65535
}

function usage (err: NodeJS.WritableStream, message: string): number {
  err.write(`matrix-well-known: ${message}\n`)
  return EXIT_CODES.usage
}
