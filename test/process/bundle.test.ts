// dist/bundle/ is what `npm start` and the image run: the compiled sources the
// other process tests start, bundled with their dependencies. It must behave
// the same, byte for byte, and need nothing from node_modules.
import { cpSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { EVERYTHING, exchange, tempDir } from '../helper.js'
import { BUNDLE_ENTRY, run, runCli, start } from './helper.js'

// Outside the project: no node_modules to fall back on.
const isolated = tempDir(t, 'bundle')
cpSync(dirname(BUNDLE_ENTRY), isolated, { recursive: true })
const ISOLATED_SERVER = join(isolated, 'server.js')
const ISOLATED_CLI = join(isolated, 'cli.js')

const withoutDate = (response: string) => response.replace(/\r\ndate: [^\r]*/i, '')

const REQUESTS = [
  'GET /.well-known/matrix/server HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET /.well-known/matrix/client HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'HEAD /.well-known/matrix/support HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET /.well-known/matrix/server HTTP/1.1\r\nHost: example.com\r\nIf-None-Match: *\r\n\r\n',
  'OPTIONS /.well-known/matrix/client HTTP/1.1\r\nHost: example.com\r\nOrigin: https://app.element.io\r\n\r\n',
  'DELETE /.well-known/matrix/server HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET /.well-known/matrix/%zz HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET /readyz HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n'
].map(request => request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'))

t.test('the bundle answers every kind of request byte for byte like the compiled sources', async t => {
  const compiled = await start(t, EVERYTHING)
  const bundled = await start(t, EVERYTHING, { entry: ISOLATED_SERVER, coverage: false })
  for (const request of REQUESTS) {
    const requestLine = request.slice(0, request.indexOf('\r\n'))
    const expected = withoutDate(await exchange(compiled.port, request))
    t.match(expected, /^HTTP\/1\.1 \d{3} /, requestLine)
    t.equal(withoutDate(await exchange(bundled.port, request)), expected, requestLine)
  }
  t.same(bundled.logs.map(line => line.msg), compiled.logs.map(line => line.msg), 'the same log lines')
})

t.test('the bundle drains on SIGTERM, passes its health check and refuses bad configuration', async t => {
  const bundled = await start(t, EVERYTHING, { entry: ISOLATED_SERVER, coverage: false })
  const healthy = run({ ...EVERYTHING, PORT: String(bundled.port) }, ['--healthcheck'], { entry: ISOLATED_SERVER, coverage: false })
  t.same(await healthy.exited, { code: 0, signal: null })
  bundled.child.kill('SIGTERM')
  t.same(await bundled.exited, { code: 0, signal: null })
  t.match(bundled.logs.at(-1), { msg: 'stopped' })
  t.equal(bundled.stderr(), '')

  const refused = run({ MATRIX_SERVER: 'https://matrix.example.com' }, [], { entry: ISOLATED_SERVER, coverage: false })
  t.same(await refused.exited, { code: 78, signal: null })
  t.match(refused.stderr(), /^matrix-well-known: invalid configuration: MATRIX_SERVER="https:\/\/matrix\.example\.com" has a scheme[^\n]*\n$/)
})

t.test('the bundle passes its self-test, which the image build runs', async t => {
  const selfTest = run({}, ['--self-test'], { entry: ISOLATED_SERVER, coverage: false })
  t.same(await selfTest.exited, { code: 0, signal: null })
  t.equal(selfTest.stdout(), 'matrix-well-known: self-test passed\n')
  t.equal(selfTest.stderr(), '')
})

t.test('the bundled check command runs', async t => {
  const { code, out } = await runCli(['check', '--help'], ISOLATED_CLI)
  t.equal(code, 0)
  t.match(out, /^Usage: matrix-well-known check <server-name>/)
})
