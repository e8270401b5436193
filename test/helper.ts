// In-process helpers: build the real app from a literal environment (never
// process.env) and close it when the test ends; collect its log lines; collect
// the problems a configuration is refused with; wait for a condition; talk raw
// HTTP to a listening server, or one request that leaves no idle connection
// behind; a temporary directory that goes when the test does.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { buildApp, type AppOptions } from '../src/app.js'
import { ConfigError, loadConfig, type Config, type Environment } from '../src/config.js'
import { createLogger } from '../src/logger.js'

// The suite runs compiled, from build/ (npm run build), which mirrors the
// checkout: build/test/helper.js is this file, build/src/ the compiled sources.
/** The checkout: for the files the tests read (docs, deploy recipes, Dockerfile, fixtures). */
export const PROJECT = new URL('../../', import.meta.url)
/** The compiled tree: for the scripts the tests start. */
export const COMPILED = new URL('../', import.meta.url)

export const SERVER_ONLY: Environment = { MATRIX_SERVER: 'matrix.example.com:443' }

export const EVERYTHING: Environment = {
  MATRIX_SERVER: 'matrix.example.com:443',
  MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
  MATRIX_IDENTITY_SERVER_BASE_URL: 'https://id.example.com',
  MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://livekit-jwt.example.com',
  MATRIX_CLIENT_EXTRA: '{"io.element.e2ee":{"default":true}}',
  MATRIX_SUPPORT_CONTACTS: '[{"role":"m.role.admin","matrix_id":"@admin:example.com"}]',
  MATRIX_SUPPORT_PAGE: 'https://example.com/support'
}

export function configFrom (env: Environment): Config {
  return loadConfig(env, { dotenvPath: false }).config
}

/** The error lines a configuration is refused with; fails the test when it is accepted. */
export function problemsOf (env: Environment, dotenvPath: string | false = false): readonly string[] {
  try {
    loadConfig(env, { dotenvPath })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error(`accepted ${JSON.stringify(env)}`)
}

/** Everything written to a stream, for the tests to read: as text, or as the JSON lines a logger writes. */
export class Captured extends Writable {
  text = ''

  override _write (chunk: Buffer, encoding: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }

  get lines (): Array<Record<string, unknown>> {
    return this.text.split('\n').filter(line => line !== '').map(line => JSON.parse(line))
  }
}

export async function build (t: Test, env: Environment = SERVER_ONLY, logs = new Captured(), options: Omit<AppOptions, 'log'> = {}) {
  const config = configFrom(env)
  const app = await buildApp(config, { ...options, log: createLogger(config.logLevel, logs) })
  t.teardown(() => app.close())
  return app
}

/** Polls until `condition` holds; fails after `timeoutMs`, naming what it waited for. */
export async function until (condition: () => boolean | Promise<boolean>, what: string,
  timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/**
 * Writes raw bytes to a fresh connection and returns everything read until the
 * server closes it; with `timeoutMs`, until then at most, marked when it ran out.
 */
export async function exchange (port: number, request: string | Buffer,
  options: { timeoutMs?: number } = {}): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  socket.write(request)
  let ranOut = false
  const stop = () => { ranOut = true; socket.destroy() }
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(stop, options.timeoutMs)
  const chunks: Buffer[] = []
  try {
    for await (const chunk of socket) chunks.push(chunk)
  } catch (err) {
    // Destroyed when the time ran out: what was read is the answer.
    if (!ranOut) throw err
  }
  clearTimeout(timer)
  return Buffer.concat(chunks).toString('latin1') + (ranOut ? `[no close within ${options.timeoutMs} ms]` : '')
}

/**
 * A new directory under the system's temporary directory, removed with all it
 * holds when `t` ends, or when the process exits first (a test file that
 * throws before its tests run never ends its tests).
 */
export function tempDir (t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wk-${name}-`))
  tempDirs.add(dir)
  t.teardown(() => {
    tempDirs.delete(dir)
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}
const tempDirs = new Set<string>()
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

/** A loopback port nobody listens on. */
export async function unusedPort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

export interface Answer {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/**
 * One request over `agent` (a fresh connection, closed after the answer, when
 * it is false): a spawned server then has no idle connection to wait for when
 * it stops. Rejects with the socket error and whether the socket was reused.
 */
export function get (url: string,
  options: { agent?: Agent | false, method?: string, headers?: OutgoingHttpHeaders } = {}): Promise<Answer> {
  const { agent = false, method = 'GET', headers } = options
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, method, headers }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', chunk => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }))
      response.on('error', reject)
    })
    req.on('error', err => reject(Object.assign(err, { reused: req.reusedSocket })))
    req.end()
  })
}
