// The self-test the image build runs: every answer as it should be, or one line per wrong one.
import t from 'tap'
import { runSelfTest, selfTest } from '../src/self-test.js'
import { Captured, compiled } from './helper.js'

const streams = () => ({ out: new Captured(), err: new Captured() })

t.test('passes on the service as built, and says so', async t => {
  t.same(await selfTest(), [])
  const { out, err } = streams()
  t.equal(await runSelfTest(out, err), 0)
  t.equal(out.text, 'matrix-well-known: self-test passed\n')
  t.equal(err.text, '')
})

t.test('names each wrong answer and fails', async t => {
  const config = await import('../src/config.js')
  // A configuration without a client document: the client file answers 404.
  const { runSelfTest: broken } = await t.mockImport<typeof import('../src/self-test.js')>(compiled('src/self-test.js'), {
    [compiled('src/config.js')]: { ...config, loadConfig: (env: Record<string, string>, options: Parameters<typeof config.loadConfig>[1]) => config.loadConfig({ ...env, MATRIX_CLIENT_BASE_URL: undefined }, options) }
  })
  const { out, err } = streams()
  t.equal(await broken(out, err), 1)
  t.equal(out.text, '')
  t.equal(err.text, 'matrix-well-known: self-test: GET /.well-known/matrix/client answered 404, not 200\n')
})
