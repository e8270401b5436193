// A server's answer at /_matrix/key/v2/server, judged as a remote homeserver
// judges it (Matrix spec, server-server API, "Retrieving server keys"): its own
// name, at least one ed25519 key, a self-signature over canonical JSON, and a
// validity that has not run out. Whatever the remote side sends, the result is a
// list of findings, never an exception.
import { createPublicKey, verify } from 'node:crypto'
import { isJsonType } from './exchange.js'
import { jsonTextFacts, MAX_JSON_DEPTH } from '../json-text.js'
import { isPlainObject } from '../validators.js'

export interface KeyFinding {
  readonly level: 'ok' | 'warn' | 'fail'
  readonly detail: string
  readonly fix?: string
}

const ED25519_KEY_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64
const EXPIRY_WARNING_MS = 3600_000
// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const UNPADDED_BASE64 = /^[A-Za-z0-9+/]*$/
const STALE_FIX = 'the homeserver serves stale keys: restart it, or check its clock'

/** Matrix canonical JSON: sorted keys, no insignificant whitespace, UTF-8. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map(key => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** A time as ISO 8601, or what it was when it is no time at all. */
export function isoTime (ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}

/** The findings for the key answer of `name`, fetched at `now`, served as `contentType` (as network.ts's contentType shows it). */
export function keyFindings (body: string, contentType: string, name: string, now: number): KeyFinding[] {
  let keys: unknown
  try {
    keys = JSON.parse(body)
  } catch {
    return [{ level: 'fail', detail: 'the answer is not JSON', fix: 'route /_matrix/ on this port to the homeserver' }]
  }
  const { depth } = jsonTextFacts(body)
  if (depth > MAX_JSON_DEPTH) {
    return [{ level: 'fail', detail: `the answer nests ${depth} levels deep`, fix: 'route /_matrix/ on this port to the homeserver' }]
  }
  if (!isPlainObject(keys)) return [{ level: 'fail', detail: 'the answer is not a JSON object', fix: 'route /_matrix/ on this port to the homeserver' }]
  const findings: KeyFinding[] = []
  if (!isJsonType(contentType)) {
    findings.push({ level: 'warn', detail: `keys served as ${contentType}`, fix: 'serve them as application/json, as the homeserver does: check the proxy in front of it' })
  }
  const { server_name: serverName, verify_keys: verifyKeys, valid_until_ts: validUntil, signatures } = keys
  if (serverName !== name) {
    return [...findings, { level: 'fail', detail: `the server says it is ${(JSON.stringify(serverName) ?? 'nobody').slice(0, 100)}, not "${name}"`, fix: `set the homeserver's server_name to ${name}, or delegate ${name} to the right server` }]
  }
  const ed25519 = (isPlainObject(verifyKeys) ? Object.entries(verifyKeys) : []).filter(([keyId]) => keyId.startsWith('ed25519:'))
  if (ed25519.length === 0) return [...findings, { level: 'fail', detail: 'no ed25519 key in verify_keys', fix: 'the homeserver publishes no signing key: check its configuration' }]
  const malformed = ed25519.filter(([, entry]) => publicKeyBytes(entry) === undefined).map(([keyId]) => keyId)
  if (malformed.length === ed25519.length) {
    return [...findings, { level: 'fail', detail: `${malformed.join(', ')}: not a ${ED25519_KEY_BYTES}-byte key in unpadded base64`, fix: 'the key answer is damaged: check for a proxy or cache rewriting it' }]
  }
  if (typeof validUntil !== 'number' || !Number.isSafeInteger(validUntil)) {
    return [...findings, { level: 'fail', detail: `valid_until_ts is ${JSON.stringify(validUntil) ?? 'missing'}, not a time in ms`, fix: STALE_FIX }]
  }
  const signed = { ...keys }
  delete signed.signatures
  delete signed.unsigned
  const canonical = Buffer.from(canonicalJson(signed))
  const ownSignatures = isPlainObject(signatures) && isPlainObject(signatures[name]) ? signatures[name] : {}
  const verified = ed25519.filter(([keyId, entry]) => {
    const key = publicKeyBytes(entry)
    const signature = ownSignatures[keyId]
    return key !== undefined && typeof signature === 'string' && UNPADDED_BASE64.test(signature) &&
      Buffer.from(signature, 'base64').length === ED25519_SIGNATURE_BYTES &&
      verify(null, canonical, createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, key]), format: 'der', type: 'spki' }), Buffer.from(signature, 'base64'))
  }).map(([keyId]) => keyId)
  if (verified.length === 0) {
    return [...findings, { level: 'fail', detail: `no signature by ${ed25519.map(([keyId]) => keyId).join(', ')} verifies`, fix: 'the keys are not signed by the server that serves them: check for a proxy or cache rewriting the answer' }]
  }
  if (validUntil <= now) {
    return [...findings, { level: 'fail', detail: `the keys expired at ${isoTime(validUntil)}`, fix: STALE_FIX }]
  }
  if (validUntil - now < EXPIRY_WARNING_MS) {
    findings.push({ level: 'warn', detail: `the keys expire within the hour, at ${isoTime(validUntil)}`, fix: 'a homeserver renews its keys well ahead: check its clock and key_refresh_interval' })
  }
  return [{ level: 'ok', detail: `${name} signs with ${verified.join(', ')}, valid until ${isoTime(validUntil)}` }, ...findings]
}

function publicKeyBytes (entry: unknown): Buffer | undefined {
  const key = isPlainObject(entry) ? entry.key : undefined
  if (typeof key !== 'string' || !UNPADDED_BASE64.test(key)) return undefined
  const bytes = Buffer.from(key, 'base64')
  return bytes.length === ED25519_KEY_BYTES ? bytes : undefined
}
