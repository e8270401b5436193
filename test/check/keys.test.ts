// The key answer judged as a remote homeserver judges it, against keys signed
// over another-json's canonical JSON: whatever arrives, findings, never a throw.
import { generateKeyPairSync, sign } from 'node:crypto'
import anotherJson from 'another-json'
import t from 'tap'
import { canonicalJson, isoTime, keyFindings } from '../../src/check/keys.js'
import { contentType } from '../../src/check/exchange.js'

const NOW = Date.UTC(2026, 11, 2)
const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const KEY = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64').replace(/=+$/, '')
const unpadded = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')

function signed (fields: Record<string, unknown> = {}, name = 'example.com') {
  const keys = { server_name: name, valid_until_ts: NOW + 86_400_000, verify_keys: { 'ed25519:a1': { key: KEY } }, old_verify_keys: {}, ...fields }
  const signature = unpadded(sign(null, Buffer.from(anotherJson.stringify(keys)), privateKey))
  return { ...keys, signatures: { [name]: { 'ed25519:a1': signature } }, unsigned: { note: 'not signed' } }
}
const judge = (body: unknown, type: string | null = 'application/json') =>
  keyFindings(typeof body === 'string' ? body : JSON.stringify(body), contentType(type === null ? {} : { 'content-type': type }), 'example.com', NOW)

t.test('a correctly signed answer ✓, verified over canonical JSON whatever the key order and whitespace', async t => {
  t.same(judge(signed()), [{ level: 'ok', detail: 'example.com signs with ed25519:a1, valid until 2026-12-03T00:00:00.000Z' }])
  const { verify_keys: verifyKeys, ...rest } = signed()
  t.equal(judge(JSON.stringify({ ...rest, verify_keys: verifyKeys }, null, 2))[0]?.level, 'ok')
  const other = signed({ verify_keys: { 'ed25519:a1': { key: KEY }, 'ed25519:other': { key: unpadded(Buffer.alloc(32, 1)) } } })
  t.match(judge(other), [{ level: 'ok', detail: /signs with ed25519:a1,/ }], 'a second key without a signature does not spoil the first')
})

t.test('warnings: a key expiring within the hour, and a content type other than JSON', async t => {
  t.match(judge(signed({ valid_until_ts: NOW + 600_000 })), [{ level: 'ok' }, { level: 'warn', detail: 'the keys expire within the hour, at 2026-12-02T00:10:00.000Z' }])
  t.match(judge(signed(), 'text/plain'), [{ level: 'ok' }, { level: 'warn', detail: 'keys served as text/plain' }])
  t.match(judge(signed(), null), [{ level: 'ok' }, { level: 'warn', detail: 'keys served as no content type' }])
})

t.test('failures, each with a fix, and never an exception on hostile input', async t => {
  const failures: Array<[unknown, RegExp]> = [
    ['<html>', /^the answer is not JSON$/],
    ['['.repeat(20_000) + ']'.repeat(20_000), /^the answer nests 20000 levels deep$/],
    [[1, 2], /^the answer is not a JSON object$/],
    [signed({}, 'other.example'), /^the server says it is "other\.example", not "example\.com"$/],
    [{ ...signed(), server_name: { a: 'b'.repeat(500) } }, /^the server says it is \{"a":"b+, not/],
    [{ ...signed(), server_name: undefined }, /^the server says it is nobody/],
    [signed({ verify_keys: {} }), /^no ed25519 key in verify_keys$/],
    [signed({ verify_keys: 'none' }), /^no ed25519 key in verify_keys$/],
    [signed({ verify_keys: { 'curve25519:a': { key: KEY } } }), /^no ed25519 key in verify_keys$/],
    [signed({ verify_keys: { 'ed25519:a1': { key: 'AAAA' } } }), /^ed25519:a1: not a 32-byte key in unpadded base64$/],
    [signed({ verify_keys: { 'ed25519:a1': { key: `${KEY}==` } } }), /not a 32-byte key/],
    [signed({ verify_keys: { 'ed25519:a1': 'key' } }), /not a 32-byte key/],
    [signed({ valid_until_ts: 'soon' }), /^valid_until_ts is "soon", not a time in ms$/],
    [signed({ valid_until_ts: -1e300 }), /^valid_until_ts is -1e\+300, not a time in ms$/],
    [{ ...signed(), valid_until_ts: undefined }, /^valid_until_ts is missing/],
    [signed({ valid_until_ts: NOW - 1 }), /^the keys expired at 2026-12-01T23:59:59\.999Z$/],
    [{ ...signed(), valid_until_ts: NOW + 1 }, /^no signature by ed25519:a1 verifies$/],
    [{ ...signed(), signatures: { 'example.com': { 'ed25519:a1': 'A'.repeat(86) } } }, /^no signature by ed25519:a1 verifies$/],
    [{ ...signed(), signatures: { 'example.com': { 'ed25519:a1': 'short' } } }, /^no signature by ed25519:a1 verifies$/],
    [{ ...signed(), signatures: { 'example.com': { 'ed25519:a1': '!!!' } } }, /^no signature by ed25519:a1 verifies$/],
    [{ ...signed(), signatures: 'none' }, /^no signature by ed25519:a1 verifies$/]
  ]
  for (const [body, detail] of failures) {
    const findings = judge(body)
    const failure = findings.find(finding => finding.level === 'fail')
    t.match(failure, { detail, fix: String }, String(detail))
  }
})

t.test('a correctly signed valid_until_ts beyond what a date holds is reported as a number, not a crash', async t => {
  t.same(judge(signed({ valid_until_ts: 9e15 })), [{ level: 'ok', detail: 'example.com signs with ed25519:a1, valid until 9000000000000000' }])
  t.equal(isoTime(0), '1970-01-01T00:00:00.000Z')
  t.equal(isoTime(-1e300), '-1e+300')
})

t.test('canonical JSON agrees with another implementation', async t => {
  const value = { b: 2, a: [{ d: 1, c: 'é', '\u2028': 'x' }, null, true], '': { z: 'ü\n', y: [1.5, -3] } }
  t.equal(canonicalJson({ b: 2, a: [{ d: 1, c: 'é' }, null, true] }), '{"a":[{"c":"é","d":1},null,true],"b":2}')
  t.equal(canonicalJson(value), anotherJson.stringify(value))
})
