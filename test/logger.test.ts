import t from 'tap'
import { createLogger } from '../src/logger.js'
import { Captured } from './helper.js'

t.test('JSON lines with the level as a number and an ISO timestamp, below the level dropped', async t => {
  const logs = new Captured()
  const log = createLogger('warn', logs)
  log.info('not this')
  log.warn({ file: 'x' }, 'this')
  t.match(logs.lines, [{ level: 40, msg: 'this', file: 'x', time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ }])
  t.equal(logs.lines.length, 1)
})
