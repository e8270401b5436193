// The production entry point as a process: start-up, configuration errors, the
// health probe and the exit codes.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { get, tempDir, until, unusedPort } from '../helper.js'
import { run, start } from './helper.js'

const SERVER = { MATRIX_SERVER: 'matrix.example.com:443' }

t.test('serves the document over a real socket and logs what it serves', async t => {
  const server = await start(t, SERVER)
  const response = await get(`${server.url}/.well-known/matrix/server`)
  t.equal(response.status, 200)
  t.equal(response.body, '{"m.server":"matrix.example.com:443"}')
  t.equal(response.headers['access-control-allow-origin'], '*')
  t.equal(response.headers['cache-control'], 'public, max-age=14400')
  t.equal(response.headers['content-type'], 'application/json')
  t.match(server.logs.find(line => line.msg === 'serving'), {
    level: 30,
    host: '127.0.0.1',
    address: server.url,
    documents: { server: '{"m.server":"matrix.example.com:443"}' },
    cacheMaxAge: 14400
  })
  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null })
  t.equal(server.stderr(), '', 'nothing on stderr')
})

t.test('logs advice about the configuration as warnings', async t => {
  const server = await start(t, { MATRIX_SERVER: 'Matrix.example.com' })
  t.match(server.logs.filter(line => line.level === 40), [
    { msg: /^MATRIX_SERVER: "Matrix.example.com" has no port/ },
    { msg: /upper-case/ }
  ])
})

t.test('reads .env from the working directory, under the environment', async t => {
  const dir = tempDir(t, 'dotenv')
  writeFileSync(join(dir, '.env'), 'MATRIX_SERVER=from-dotenv.example.com:443\nCACHE_MAX_AGE=600\n')
  const server = await start(t, { CACHE_MAX_AGE: '900' }, { cwd: dir })
  const response = await get(`${server.url}/.well-known/matrix/server`)
  t.equal(response.body, '{"m.server":"from-dotenv.example.com:443"}')
  t.equal(response.headers['cache-control'], 'public, max-age=900')
})

t.test('a bad variable stops start-up with one line and exit code 78', async t => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ MATRIX_SERVER: 'https://matrix.example.com' },
      /^matrix-well-known: invalid configuration: MATRIX_SERVER="https:\/\/matrix.example.com" has a scheme: remove "https:\/\/" \(example: MATRIX_SERVER=matrix.example.com:443\)\n$/],
    [{ ...SERVER, PORT: '99999' }, /^matrix-well-known: invalid configuration: PORT="99999" is out of range: it must be <= 65535 \(example: PORT=8080\)\n$/],
    [{}, /^matrix-well-known: invalid configuration: MATRIX_SERVER is not set, and neither is MATRIX_CLIENT_BASE_URL/]
  ]
  const servers = cases.map(([env]) => run(env))
  for (const [index, [env, line]] of cases.entries()) {
    const server = servers[index]!
    t.same(await server.exited, { code: 78, signal: null }, JSON.stringify(env))
    t.match(server.stderr(), line)
    t.notMatch(server.stderr(), /\n\s+at /, 'no stack trace')
    t.same(server.logs, [], 'never started')
  }
})

t.test('a port in use is reported in one JSON line and exit code 1', async t => {
  const first = await start(t, SERVER)
  const second = run({ ...SERVER, PORT: String(first.port) })
  t.same(await second.exited, { code: 1, signal: null })
  t.match(second.logs.at(-1), { level: 50, msg: `cannot listen on 127.0.0.1:${first.port}`, err: { code: 'EADDRINUSE' } })
})

t.test('--self-test answers in-process and exits 0, whatever the environment holds', async t => {
  const selfTest = run({ MATRIX_SERVER: 'https://broken' }, ['--self-test'])
  t.same(await selfTest.exited, { code: 0, signal: null })
  t.equal(selfTest.stdout(), 'matrix-well-known: self-test passed\n')
})

t.test('--healthcheck exits 0 when /healthz answers and 1 when it does not, whatever else is configured', async t => {
  const server = await start(t, SERVER)
  const healthy = run({ ...SERVER, PORT: String(server.port) }, ['--healthcheck'])
  const nobody = run({ ...SERVER, PORT: String(await unusedPort()) }, ['--healthcheck'])
  // The probe reads HOST and PORT only: a setting broken since start-up (the
  // service still serves what it validated then) does not make it unhealthy.
  const misconfigured = run({ PORT: String(server.port), MATRIX_SERVER: 'https://broken' }, ['--healthcheck'])
  t.same(await healthy.exited, { code: 0, signal: null })
  t.same(await nobody.exited, { code: 1, signal: null })
  t.same(await misconfigured.exited, { code: 0, signal: null })
})

t.test('SIGHUP and SIGUSR2 never stop a single-domain service: logged, then it keeps serving', async t => {
  const server = await start(t, SERVER)
  for (const signal of ['SIGHUP', 'SIGUSR2'] as const) {
    server.child.kill(signal)
    await until(() => server.logs.some(line => line.signal === signal), `the ${signal} line`)
    t.match(server.logs.find(line => line.signal === signal), { level: 30, msg: /^nothing to reload: the environment is read at start-up only/ })
  }
  const response = await get(`${server.url}/.well-known/matrix/server`)
  t.equal(response.status, 200, 'still serving')
  t.equal(server.child.exitCode, null, 'still running')
  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null })
})

t.test('--healthcheck with PORT=0 says it cannot know the port, and fails', async t => {
  const probe = run({ ...SERVER, PORT: '0' }, ['--healthcheck'])
  t.same(await probe.exited, { code: 1, signal: null })
  t.match(probe.stderr(), /^matrix-well-known: --healthcheck: PORT=0 lets the system choose the port at start-up, which this probe cannot know: set PORT to a fixed port to probe it\n$/)
})

t.test('SIGUSR1 opens no inspector: logged and ignored, and the service keeps serving', async t => {
  const server = await start(t, SERVER)
  server.child.kill('SIGUSR1')
  await until(() => server.logs.some(line => line.msg === 'SIGUSR1 ignored: the inspector stays closed'), 'the signal to be logged')
  t.equal((await get(`${server.url}/.well-known/matrix/server`)).status, 200)
  t.notMatch(server.stderr(), /Debugger listening/, 'no inspector')
  t.equal(server.child.exitCode, null)
})

t.test('a configuration error line stays one readable line: long values cut, control characters escaped', async t => {
  const failed = run({ TRUST_PROXY: `10.0.0.0/8,${'x'.repeat(120_000)}`, MATRIX_DOMAINS_FILE: `/tmp/${'d'.repeat(120_000)}.json` })
  t.same(await failed.exited, { code: 78, signal: null })
  const lines = failed.stderr().trimEnd().split('\n')
  t.ok(lines.length >= 2, 'one line per variable')
  for (const line of lines) t.ok(line.length < 1000, `a line of ${line.length} characters`)
  const separators = run({ MATRIX_SERVER: 'matrix\u2028example.com\u0085:443' })
  t.same(await separators.exited, { code: 78, signal: null })
  t.match(separators.stderr(), /MATRIX_SERVER="matrix\\u2028example\.com\\u0085:443" contains whitespace/)
  t.notMatch(separators.stderr(), /[\u2028\u0085]/, 'nothing raw that a terminal or log reader would act on')
})
