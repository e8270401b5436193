// The HTTP bytes: one header layout for every answer.
import t from 'tap'
import { ALLOWED_METHODS, CORS_HEADERS, RESPONSES, SECURITY_HEADERS, documentPreparer, matchesIfNoneMatch, messageBytes, prepareResponse } from '../src/responses.js'

const pairs = (rawHeaders: readonly string[]) => Array.from({ length: rawHeaders.length / 2 }, (_, i) => [rawHeaders[2 * i], rawHeaders[2 * i + 1]])
const tail = Object.entries({ ...CORS_HEADERS, ...SECURITY_HEADERS })

t.test('every answer: type and length when it has a body, its own headers, then CORS and security', async t => {
  const response = prepareResponse(418, { json: '{"é":1}', headers: { 'x-own': 'yes' } })
  t.same(pairs(response.rawHeaders()), [['content-type', 'application/json'], ['content-length', '8'], ['x-own', 'yes'], ...tail])
  t.equal(response.body!.toString(), '{"é":1}')
  const empty = prepareResponse(204)
  t.same(pairs(empty.rawHeaders()), tail)
  t.equal(empty.body, undefined)
  t.ok(Object.isFrozen(response))
  t.equal(CORS_HEADERS['access-control-allow-methods'], ALLOWED_METHODS.join(', '))
  t.equal(pairs(RESPONSES.methodNotAllowed.rawHeaders()).find(([name]) => name === 'allow')?.[1], 'GET, HEAD, OPTIONS')
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

t.test('If-None-Match: weak comparison, lists and *', async t => {
  const etag = '"abc"'
  for (const header of [etag, 'W/"abc"', '"x", "abc"', '*', '"x",W/"abc"']) t.ok(matchesIfNoneMatch(header, etag), header)
  for (const header of ['"abcd"', 'abc', '"ABC"', '']) t.notOk(matchesIfNoneMatch(header, etag), header)
})

t.test('a whole message for a raw socket ends with Connection: close and the body', async t => {
  const text = messageBytes(RESPONSES.badRequest).toString()
  t.match(text, /^HTTP\/1\.1 400 Bad Request\r\ncontent-type: application\/json\r\ncontent-length: \d+\r\n(.+\r\n)*connection: close\r\n\r\n\{"errcode":"M_UNRECOGNIZED","error":"Bad request"\}$/)
  t.match(text, /access-control-allow-origin: \*\r\n/)
  t.match(messageBytes(RESPONSES.preflight).toString(), /^HTTP\/1\.1 204 No Content\r\n.*connection: close\r\n\r\n$/s, 'no body, nothing after the headers')
})
