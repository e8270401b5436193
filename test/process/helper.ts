// Process helpers: spawn the built server or command line and read what they
// write, for the behaviour inject() cannot see: sockets, signals, exit codes and
// stderr. The clients they talk to it with are the in-process ones of ../helper.ts.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { COMPILED, PROJECT, until } from '../helper.js'

/** The compiled sources, one file per module: their source maps give coverage of src/. */
export const SERVER_ENTRY = fileURLToPath(new URL('src/server.js', COMPILED))
export const CLI_ENTRY = fileURLToPath(new URL('src/check/cli.js', COMPILED))
/** The same code bundled with its dependencies: what `npm start` and the image run. */
export const BUNDLE_ENTRY = fileURLToPath(new URL('dist/bundle/server.js', PROJECT))

export interface RunOptions {
  readonly cwd?: string
  /** Flags for node itself, before the entry point. */
  readonly nodeArgs?: readonly string[]
  /** The entry point: the compiled server unless told otherwise. */
  readonly entry?: string
  /**
   * false: without tap's coverage and process-tracking hooks, for the bundle
   * (which is not src/) and for servers under load, whose every request the
   * hooks would slow down while what they run is covered by the other tests.
   */
  readonly coverage?: boolean
  /** The most file descriptors the process may have open (the shell's ulimit -n). */
  readonly maxOpenFiles?: number
}

export interface Running {
  readonly child: ChildProcess
  readonly logs: Array<Record<string, unknown>>
  readonly stderr: () => string
  readonly stdout: () => string
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export interface Serving extends Running {
  readonly port: number
  readonly url: string
}

/** A JSON log line, or what stands in its place, so that a stray line shows in every comparison. */
function logLine (line: string): Record<string, unknown> {
  try {
    return JSON.parse(line)
  } catch {
    return { notJson: line }
  }
}

// tap passes its coverage and process-tracking hooks to children through the
// environment; everything else is left out so that only the test's settings count.
export const inherited = Object.fromEntries(Object.entries(process.env)
  .filter(([name]) => name === 'PATH' || name.startsWith('NODE_') || name.startsWith('TAP') || name.startsWith('_TAPJS')))
const uncovered = { PATH: process.env.PATH }

export function run (env: Readonly<Record<string, string | undefined>>, args: readonly string[] = [],
  options: RunOptions = {}): Running {
  const { cwd, nodeArgs = [], entry = SERVER_ENTRY, coverage = true, maxOpenFiles } = options
  const argv = [process.execPath, ...nodeArgs, entry, ...args]
  const [command, ...commandArgs] = maxOpenFiles === undefined ? argv : ['sh', '-c', `ulimit -n ${maxOpenFiles} && exec "$0" "$@"`, ...argv]
  const child = spawn(command!, commandArgs, {
    cwd,
    env: { ...(coverage ? inherited : uncovered), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const logs: Array<Record<string, unknown>> = []
  let stdout = ''
  let pending = ''
  child.stdout!.on('data', chunk => {
    stdout += chunk
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) logs.push(logLine(line))
  })
  let stderr = ''
  child.stderr!.on('data', chunk => { stderr += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  return { child, logs, stderr: () => stderr, stdout: () => stdout, exited }
}

/**
 * Starts the server on a port of its choosing (PORT=0) with no drain window,
 * unless the test sets them, and resolves with the address its `serving` line gives.
 */
export async function start (t: Test, env: Readonly<Record<string, string | undefined>>,
  options: RunOptions = {}): Promise<Serving> {
  const running = run({ PORT: '0', SHUTDOWN_DRAIN_MS: '0', ...env }, [], options)
  // A signal the server handles, so that it writes its coverage before it exits.
  t.teardown(async () => {
    if (running.child.exitCode !== null || running.child.signalCode !== null) return
    running.child.kill('SIGTERM')
    await running.exited
  })
  const serving = () => running.logs.find(line => line.msg === 'serving')
  try {
    await until(() => serving() !== undefined || running.child.exitCode !== null, 'the server to start', 10_000)
  } catch {}
  const line = serving()
  if (line === undefined) throw new Error(`the server did not start: ${running.stderr()} ${JSON.stringify(running.logs)}`)
  const url = String(line.address)
  return { ...running, url, port: Number(new URL(url).port) }
}

/** Runs the command line to its end. */
export async function runCli (args: readonly string[], entry = CLI_ENTRY,
  options: Omit<RunOptions, 'entry'> = {}): Promise<{ code: number | null, out: string, err: string }> {
  const running = run({}, args, { ...options, entry })
  const { code } = await running.exited
  return { code, out: running.stdout(), err: running.stderr() }
}
