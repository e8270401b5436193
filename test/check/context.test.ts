// Who the check asks as: homeservers' own user agents, and a web client's
// cross-origin request (test/check/check.test.ts sees them on the wire).
import t from 'tap'
import { AS_BROWSER, BROWSER_AGENT, BROWSER_ORIGIN, GO_AGENT, SYNAPSE_AGENT } from '../../src/check/context.js'

t.test('asks as Synapse and Go servers do, and as a browser on a web client', async t => {
  t.match(SYNAPSE_AGENT, /^Synapse\/\d+\.\d+\.\d+$/)
  t.equal(GO_AGENT, 'Go-http-client/1.1')
  t.match(BROWSER_AGENT, /^Mozilla\/5\.0 .* Chrome\/\d+/)
  t.equal(new URL(BROWSER_ORIGIN).origin, BROWSER_ORIGIN, 'an origin, as browsers send it: no path')
  t.same(AS_BROWSER, { 'user-agent': BROWSER_AGENT, origin: BROWSER_ORIGIN })
  t.ok(Object.isFrozen(AS_BROWSER))
})
