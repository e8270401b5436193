// Builds the real app from a literal environment (never process.env) and closes
// it when the test ends; collects its log lines for assertions.
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config, type Environment } from '../src/config.js'

export const SERVER_ONLY: Environment = { MATRIX_SERVER: 'matrix.example.com:443' }

export const EVERYTHING: Environment = {
  MATRIX_SERVER: 'matrix.example.com:443',
  MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
  MATRIX_IDENTITY_SERVER_BASE_URL: 'https://id.example.com',
  MATRIX_CLIENT_EXTRA: '{"org.matrix.msc2965.authentication":{"issuer":"https://auth.example.com/"}}',
  MATRIX_SUPPORT_CONTACTS: '[{"role":"m.role.admin","matrix_id":"@admin:example.com"}]',
  MATRIX_SUPPORT_PAGE: 'https://example.com/support'
}

export function configFrom (env: Environment): Config {
  return loadConfig(env, { dotenvPath: false }).config
}

export class LogLines extends Writable {
  readonly lines: Array<Record<string, unknown>> = []

  override _write (chunk: Buffer, encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (line !== '') this.lines.push(JSON.parse(line))
    }
    done()
  }
}

export async function build (t: Test, env: Environment = SERVER_ONLY, logs = new LogLines()) {
  const app = await buildApp(configFrom(env), { logStream: logs })
  t.teardown(() => app.close())
  return app
}
