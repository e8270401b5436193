// Prepared responses: one header layout for every answer, and a document's 200 and 304.
import t from 'tap'
import { CORS_HEADERS, SECURITY_HEADERS } from '../src/header-policy.js'
import { documentPreparer, prepareResponse } from '../src/responses.js'

const pairs = (rawHeaders: readonly string[]) =>
  Array.from({ length: rawHeaders.length / 2 }, (_, i) => [rawHeaders[2 * i], rawHeaders[2 * i + 1]])
const tail = Object.entries({ ...CORS_HEADERS, ...SECURITY_HEADERS })

t.test('every answer: type and length when it has a body, its own headers, then CORS and security', async t => {
  const response = prepareResponse(418, { json: '{"é":1}', headers: { 'x-own': 'yes' } })
  t.same(pairs(response.rawHeaders()), [['content-type', 'application/json'], ['content-length', '8'], ['x-own', 'yes'], ...tail])
  t.equal(response.body!.toString(), '{"é":1}')
  const empty = prepareResponse(204)
  t.same(pairs(empty.rawHeaders()), tail)
  t.equal(empty.body, undefined)
  t.ok(Object.isFrozen(response))
})

t.test('a prepared document: 200 with its body, 304 without, both with the cache period and a strong ETag', async t => {
  const prepared = documentPreparer(600)({ server: '{"m.server":"a.example:443"}' })
  t.equal(prepared.client, undefined)
  const ok = prepared.server!
  const { etag, notModified } = ok
  t.match(etag, /^"[\w-]{27}"$/)
  t.same(pairs(ok.rawHeaders()).slice(2, 4), [['cache-control', 'public, max-age=600'], ['etag', etag]])
  t.same(pairs(notModified.rawHeaders()).slice(0, 2), [['cache-control', 'public, max-age=600'], ['etag', etag]])
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, undefined)
})

t.test('in multi-domain mode a document and its 304 vary by host; the same body always has the same ETag', async t => {
  const varying = documentPreparer(600, 'Host')({ server: '{"m.server":"a.example:443"}' }).server!
  t.same(pairs(varying.rawHeaders()).slice(2, 5), [['cache-control', 'public, max-age=600'], ['etag', varying.etag], ['vary', 'Host']])
  t.same(pairs(varying.notModified.rawHeaders()).slice(2, 3), [['vary', 'Host']])
  t.equal(documentPreparer(300)({ server: '{"m.server":"a.example:443"}' }).server!.etag, varying.etag, 'replicas agree on the tag')
})
