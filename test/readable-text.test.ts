// Text from outside made fit for one line: escaped, and cut.
import t from 'tap'
import { readableText } from '../src/readable-text.js'

t.test('control characters, separators and bidirectional controls are escaped; printable text is left alone', async t => {
  t.equal(readableText('plain text, é and 漢字', 100), 'plain text, é and 漢字')
  t.equal(readableText('a\u0000b\u001bc\u007fd\u0085e\u009ff', 100), 'a\\u0000b\\u001bc\\u007fd\\u0085e\\u009ff')
  t.equal(readableText('line\u2028para\u2029', 100), 'line\\u2028para\\u2029')
  t.equal(readableText('\u202eevil\u2066x\u200f', 100), '\\u202eevil\\u2066x\\u200f')
})

t.test('cut to the length given, escapes counted, and marked', async t => {
  t.equal(readableText('x'.repeat(10), 10), 'x'.repeat(10))
  t.equal(readableText('x'.repeat(11), 10), `${'x'.repeat(9)}…`)
  t.equal(readableText('\u0000'.repeat(5), 13), '\\u0000\\u0000…')
})
