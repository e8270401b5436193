import t from 'tap'
import { MAX_JSON_DEPTH, jsonTextFacts, jsonTextProblem } from '../src/json-text.js'

t.test('depth, lossy numbers, duplicate top-level keys and control characters, strings aside', async t => {
  t.same(jsonTextFacts('{"a":[1,{"b":"[[{{"}],"c":-2.5e-3}'), { depth: 3, lossyNumber: undefined, duplicateTopLevelKey: undefined, controlCharacterIn: undefined })
  t.equal(jsonTextFacts('[1,2,1e999]').lossyNumber, '1e999')
  t.equal(jsonTextFacts('{"n":1.0,"m":2.5e-3}').lossyNumber, undefined, 'decimals keep their value')
  t.equal(jsonTextFacts('{"n":-0}').lossyNumber, '-0', 'served as 0')
  t.equal(jsonTextFacts('{"a":1,"b":{"a":2},"a":3}').duplicateTopLevelKey, 'a', 'only the top level counts')
  t.equal(jsonTextFacts('{"a":{"x":1,"x":2}}').duplicateTopLevelKey, undefined)
  t.equal(jsonTextFacts('{"k\\u0007":1}').controlCharacterIn, 'k\u0007')
  t.equal(jsonTextProblem(jsonTextFacts('"\\u007f"')), 'has a control character in "\\u007f"')
  t.equal(jsonTextProblem(jsonTextFacts(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)), undefined, `${MAX_JSON_DEPTH} levels are fine`)
  t.equal(jsonTextProblem(jsonTextFacts('{"n":90071992547409931}')), 'has the number 90071992547409931, which would be served as 90071992547409940: write 90071992547409940, or the value as a string')
})
