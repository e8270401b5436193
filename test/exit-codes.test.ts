// The exit codes supervisors and scripts see (docs/errors.md lists the same,
// and test/docs.test.ts keeps the two in step).
import t from 'tap'
import { EXIT_CODES } from '../src/exit-codes.js'

t.test('one distinct code per outcome, with sysexits\' EX_CONFIG for a bad setting', async t => {
  t.same(EXIT_CODES, { ok: 0, failure: 1, usage: 2, config: 78 })
  t.equal(new Set(Object.values(EXIT_CODES)).size, Object.keys(EXIT_CODES).length)
  t.ok(Object.isFrozen(EXIT_CODES))
})
