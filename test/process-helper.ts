// Spawns the built server and reads its JSON log lines, for the behaviour
// inject() cannot see: sockets, signals, exit codes and stderr.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

/** The compiled sources, one file per module: their source maps give coverage of src/. */
export const SERVER_ENTRY = fileURLToPath(new URL('../dist/server.js', import.meta.url))
/** The same code bundled with its dependencies: what `npm start` and the image run. */
export const BUNDLE_ENTRY = fileURLToPath(new URL('../dist/bundle/server.js', import.meta.url))

export async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

/** Writes raw bytes to a fresh connection and returns everything read until the server closes it. */
export async function exchange (port: number, request: string | Buffer): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  socket.write(request)
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk)
  return Buffer.concat(chunks).toString()
}

export interface RunOptions {
  readonly cwd?: string
  /** Flags for node itself, before the entry point. */
  readonly nodeArgs?: readonly string[]
  /** The entry point: the compiled sources unless told otherwise. */
  readonly entry?: string
}

export interface Running {
  readonly child: ChildProcess
  readonly port: number
  readonly url: string
  readonly logs: Array<Record<string, unknown>>
  readonly stderr: () => string
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

// tap passes its coverage and process-tracking hooks to children through the
// environment; everything else is left out so that only the test's settings count.
const inherited = Object.fromEntries(Object.entries(process.env)
  .filter(([name]) => name === 'PATH' || name.startsWith('NODE_') || name.startsWith('TAP') || name.startsWith('_TAPJS')))

export function run (env: Readonly<Record<string, string | undefined>>, args: string[] = [], options: RunOptions = {}): Running {
  const { cwd, nodeArgs = [], entry = SERVER_ENTRY } = options
  const port = Number(env.PORT ?? 0)
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    cwd,
    env: { ...inherited, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const logs: Array<Record<string, unknown>> = []
  let stdout = ''
  child.stdout!.on('data', chunk => {
    stdout += chunk
    const lines = stdout.split('\n')
    stdout = lines.pop()!
    for (const line of lines) logs.push(JSON.parse(line))
  })
  let stderr = ''
  child.stderr!.on('data', chunk => { stderr += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  return { child, port, url: `http://127.0.0.1:${port}`, logs, stderr: () => stderr, exited }
}

/** Starts the server on a free port and resolves once it logs that it serves. */
export async function start (t: Test, env: Readonly<Record<string, string | undefined>>, options: RunOptions = {}): Promise<Running> {
  const running = run({ PORT: String(await freePort()), ...env }, [], options)
  // A signal the server handles, so that it writes its coverage before it exits.
  t.teardown(async () => {
    if (running.child.exitCode !== null || running.child.signalCode !== null) return
    running.child.kill('SIGTERM')
    await running.exited
  })
  const deadline = Date.now() + 10_000
  while (!running.logs.some(line => line.msg === 'serving')) {
    if (running.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the server did not start: ${running.stderr()} ${JSON.stringify(running.logs)}`)
    }
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return running
}
