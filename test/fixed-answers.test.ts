// The answers that are not documents: errors in the Matrix spec's shape, the
// preflight and the probes.
import t from 'tap'
import { clientErrorResponse, documentErrors, FIXED_ANSWERS, matrixError } from '../src/fixed-answers.js'

const header = (response: { rawHeaders: () => string[] }, name: string) => {
  const headers = response.rawHeaders()
  const index = headers.findIndex((entry, i) => i % 2 === 0 && entry === name)
  return index === -1 ? undefined : headers[index + 1]
}

t.test('errors in the Matrix spec\'s shape; 405 names the methods allowed', async t => {
  t.equal(matrixError('M_NOT_FOUND', 'gone'), '{"errcode":"M_NOT_FOUND","error":"gone"}')
  t.equal(header(FIXED_ANSWERS.methodNotAllowed, 'allow'), 'GET, HEAD, OPTIONS')
  t.same(JSON.parse(String(FIXED_ANSWERS.notFound.body)), { errcode: 'M_NOT_FOUND', error: 'Not found: this service serves /.well-known/matrix/ only' })
  t.same(JSON.parse(String(clientErrorResponse(413).body)), { errcode: 'M_TOO_LARGE', error: 'Payload Too Large' })
  t.same(JSON.parse(String(clientErrorResponse(431).body)), { errcode: 'M_UNRECOGNIZED', error: 'Request Header Fields Too Large' })
})

t.test('the probes are never cached; the preflight may be skipped for a day', async t => {
  t.equal(header(FIXED_ANSWERS.healthy, 'cache-control'), 'no-store')
  t.equal(header(FIXED_ANSWERS.draining, 'cache-control'), 'no-store')
  t.equal(FIXED_ANSWERS.draining.statusCode, 503)
  t.equal(header(FIXED_ANSWERS.preflight, 'access-control-max-age'), '86400')
  t.equal(FIXED_ANSWERS.preflight.body, undefined)
})

t.test('a document\'s 404s name what is missing, and vary by host in multi-domain mode', async t => {
  const single = documentErrors()
  t.equal(header(single.unknownHost, 'vary'), undefined)
  t.match(String(single.notConfigured.client.body), /No client discovery information is configured here/)
  const multi = documentErrors('Host')
  t.equal(header(multi.unknownHost, 'vary'), 'Host')
  t.equal(header(multi.notConfigured.server, 'vary'), 'Host')
  t.match(String(multi.unknownHost.body), /No delegation is configured for this host/)
})

t.test('every 404 may be cached a minute at most, so that a new host or document shows through a shared cache', async t => {
  for (const [what, answer] of [['not found', FIXED_ANSWERS.notFound], ['unknown host', documentErrors('Host').unknownHost],
    ['not configured', documentErrors().notConfigured.server], ['not configured, by host', documentErrors('Host').notConfigured.client]] as const) {
    t.equal(answer.statusCode, 404, what)
    t.equal(header(answer, 'cache-control'), 'public, max-age=60', what)
  }
})
