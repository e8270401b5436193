// The self-test the image build runs: every answer as it should be, or one line per wrong one.
import t from 'tap'
import { runSelfTest, selfTest } from '../src/self-test.js'
import { Captured } from './helper.js'

const streams = () => ({ out: new Captured(), err: new Captured() })

t.test('passes on the service as built, and says so', async t => {
  t.same(await selfTest(), [])
  const { out, err } = streams()
  t.equal(await runSelfTest(out, err), 0)
  t.equal(out.text, 'matrix-well-known: self-test passed\n')
  t.equal(err.text, '')
})

t.test('names each wrong answer and fails', async t => {
  // A configuration without a client document: the client file answers 404.
  const { out, err } = streams()
  const withoutClient = { MATRIX_SERVER: 'matrix.example.com:443', MATRIX_SUPPORT_PAGE: 'https://example.com/support', LOG_LEVEL: 'silent' }
  t.equal(await runSelfTest(out, err, withoutClient), 1)
  t.equal(out.text, '')
  t.equal(err.text, 'matrix-well-known: self-test: GET /.well-known/matrix/client answered 404, not 200\n')
})
