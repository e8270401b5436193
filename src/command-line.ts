// `matrix-well-known <command>`: the admin's tools (the server itself starts with
// `node dist/server.js`). main() returns the exit code and writes only to the
// streams it is given, so that tests run it in-process.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { checkDelegation, formatReport } from './check.js'
import { EXIT_CODES } from './exit-codes.js'

const HELP = `Usage: matrix-well-known check <server-name> [options]

Checks what a remote homeserver does to federate with <server-name>: the
/.well-known/matrix/server file, SRV and address records, TLS, and the server's
signed keys; then the client well-known. One line per step, with a fix for each
problem. Exit code 0 only when a remote server would federate (with --strict,
only when every step passes).

Options:
  --json                      print the report as JSON
  --strict                    exit 1 when any step fails, the client well-known
                              included (for monitoring and CI)
  --dns-server <host:port>    ask this DNS server instead of the system's
  --ca-file <file>            also trust the PEM certificates in <file>
  --resolve <host:port:addr>  connect to <addr> for <host:port> (like curl); repeatable
  --connect-to <host:port:addr:port>
                              connect to <addr:port> for <host:port> (like curl); repeatable
  --timeout <seconds>         per request (default 10)
  -h, --help                  this text

Examples:
  npx matrix-well-known check example.com
  docker run --rm matrix-well-known dist/cli.js check example.com
`

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
export async function main (argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
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
  const connectTo = new Map<string, string>()
  for (const mapping of values.resolve ?? []) {
    const match = /^([^:]+:\d+):(.+)$/.exec(mapping)
    if (match === null) return usage(err, `--resolve ${mapping}: expected host:port:address`)
    connectTo.set(match[1]!, `${match[2]!}:${match[1]!.split(':')[1]!}`)
  }
  for (const mapping of values['connect-to'] ?? []) {
    const match = /^([^:]+:\d+):(.+:\d+)$/.exec(mapping)
    if (match === null) return usage(err, `--connect-to ${mapping}: expected host:port:address:port`)
    connectTo.set(match[1]!, match[2]!)
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout) * 1000
  if (timeoutMs !== undefined && !(timeoutMs > 0)) return usage(err, `--timeout ${values.timeout}: expected a number of seconds`)
  let ca: string | undefined
  if (values['ca-file'] !== undefined) {
    try {
      ca = readFileSync(values['ca-file'], 'utf8')
    } catch (error) {
      return usage(err, `--ca-file: ${(error as Error).message}`)
    }
  }
  const report = await checkDelegation({ name, dnsServer: values['dns-server'], ca, connectTo, timeoutMs })
  out.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  const passes = values.strict === true ? report.steps.every(step => step.ok) : report.federates
  return passes ? EXIT_CODES.ok : EXIT_CODES.failure
}

function usage (err: NodeJS.WritableStream, message: string): number {
  err.write(`matrix-well-known: ${message}\n`)
  return EXIT_CODES.usage
}
