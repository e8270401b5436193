// The headers every answer shares: the spec's CORS headers and helmet's set.
import t from 'tap'
import { ALLOWED, ALLOWED_METHODS, CORS_HEADERS, headerList, SECURITY_HEADERS, SHARED_HEADER_LIST } from '../src/header-policy.js'

t.test('CORS as the Matrix spec asks, naming the methods a document answers', async t => {
  t.same(ALLOWED_METHODS, ['GET', 'HEAD', 'OPTIONS'])
  t.equal(ALLOWED, 'GET, HEAD, OPTIONS')
  t.same(CORS_HEADERS, {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': ALLOWED_METHODS.join(', '),
    'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization'
  })
})

t.test('helmet\'s set for a JSON document on somebody else\'s apex: no page, no framing, no HSTS', async t => {
  t.equal(SECURITY_HEADERS['content-security-policy'], "default-src 'none';frame-ancestors 'none'")
  t.equal(SECURITY_HEADERS['cross-origin-resource-policy'], 'cross-origin')
  t.equal(SECURITY_HEADERS['x-frame-options'], 'DENY')
  t.equal(SECURITY_HEADERS['x-content-type-options'], 'nosniff')
  t.notOk('strict-transport-security' in SECURITY_HEADERS)
})

t.test('one flat list of the shared headers, as node:http writes them', async t => {
  t.same(headerList({ a: '1', b: '2' }), ['a', '1', 'b', '2'])
  t.same(SHARED_HEADER_LIST, headerList({ ...CORS_HEADERS, ...SECURITY_HEADERS }))
  t.ok(Object.isFrozen(SHARED_HEADER_LIST))
})
