// `node dist/server.js --self-test`: loads every module the service may run,
// builds the app from an example configuration and answers one request of each
// kind in-process, then exits 0 (1 when an answer is wrong). The image build runs
// it, so a broken bundle fails the build, and Node's compile cache
// (NODE_COMPILE_CACHE) is filled there with what the service compiles at start-up.
import { buildApp } from './app.js'
import { loadConfig, type Environment } from './config.js'
import { yamlParserFor } from './domains/file.js'
import { EXIT_CODES } from './exit-codes.js'
import { createLogger } from './logger.js'

const EXAMPLE_ENV: Environment = {
  MATRIX_SERVER: 'matrix.example.com:443',
  MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
  MATRIX_SUPPORT_PAGE: 'https://example.com/support',
  LOG_LEVEL: 'silent'
}

/** The problems found, one per line; none when the service answers as it should. */
export async function selfTest (env: Environment = EXAMPLE_ENV): Promise<string[]> {
  // What the service loads only in some configurations, loaded here so that it is compiled too.
  await Promise.all([import('./log-destination.js'), import('close-with-grace'), import('./domains/reloader.js'),
    import('./domains/loader.js'), import('./metrics.js'), yamlParserFor('domains.yaml')])
  const { config } = loadConfig(env, { dotenvPath: false })
  const app = await buildApp(config, { log: createLogger('silent') })
  const expected: Array<[method: 'GET' | 'OPTIONS', url: string, status: number]> = [
    ['GET', '/.well-known/matrix/server', 200],
    ['GET', '/.well-known/matrix/client', 200],
    ['GET', '/.well-known/matrix/support', 200],
    ['OPTIONS', '/.well-known/matrix/client', 204],
    ['GET', '/healthz', 200],
    ['GET', '/nowhere', 404]
  ]
  const problems: string[] = []
  for (const [method, url, status] of expected) {
    const response = await app.inject({ method, url, headers: { host: 'example.com', origin: 'https://app.element.io' } })
    if (response.statusCode !== status) problems.push(`${method} ${url} answered ${response.statusCode}, not ${status}`)
  }
  await app.close()
  return problems
}

/** Runs the self-test (on the example configuration unless given another), writes its outcome; returns the exit code. */
export async function runSelfTest (out: NodeJS.WritableStream, err: NodeJS.WritableStream,
  env: Environment = EXAMPLE_ENV): Promise<number> {
  const problems = await selfTest(env)
  for (const problem of problems) err.write(`matrix-well-known: self-test: ${problem}\n`)
  if (problems.length > 0) return EXIT_CODES.failure
  out.write('matrix-well-known: self-test passed\n')
  return EXIT_CODES.ok
}
