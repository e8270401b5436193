// Pure checks for every value a delegation document can carry. Each returns the
// problem in plain words (to follow "<VARIABLE>=<value> ") or undefined when the
// value is good, so config.ts, the domains file and the `check` command share them.
import { isIP, isIPv6 } from 'node:net'
import { numericHostProblem, privateHostWarning } from './federation-host.js'
import { CONTROL, jsonTextFacts, jsonTextProblem } from './json-text.js'

// Matrix spec, appendices "Server Name": dns-name is 1*255 of [A-Za-z0-9-.];
// Synapse's VALID_HOST_REGEX adds that labels are non-empty and joined by single dots.
const MAX_DNS_NAME_LENGTH = 255
const MAX_LABEL_LENGTH = 63 // RFC 1035: a longer label cannot be resolved
const DOTTED_QUAD = /^\d+\.\d+\.\d+\.\d+$/
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//
const PORT = /^\d{1,5}$/

export interface ServerNameFacts {
  hostname: string
  port: number | undefined
  kind: 'dns' | 'ipv4' | 'ipv6'
}

export type Parsed<T> = { value: T, problem?: undefined } | { value?: undefined, problem: string }

/** Parses `host[:port]` by the Matrix server-name grammar. */
export function parseServerName (input: string): Parsed<ServerNameFacts> {
  if (input === '') return { problem: 'is empty' }
  if (/\s/.test(input)) return { problem: 'contains whitespace' }
  const scheme = SCHEME.exec(input)
  if (scheme !== null) return { problem: `has a scheme: remove "${scheme[0]}"` }
  if (input.includes('/')) return { problem: 'has a path or "/": give only host[:port]' }

  let host: string
  let portText: string | undefined
  if (input.startsWith('[')) {
    const close = input.indexOf(']')
    if (close === -1) return { problem: 'has an unbalanced "[": write an IPv6 address as [2001:db8::1]:443' }
    host = input.slice(0, close + 1)
    const rest = input.slice(close + 1)
    if (rest !== '') {
      if (!rest.startsWith(':')) return { problem: `has "${rest}" after the IPv6 address: only ":port" may follow "]"` }
      portText = rest.slice(1)
    }
    if (host.includes('%')) return { problem: `has "${host}", an IPv6 address with a zone: a zone means nothing to another machine` }
    if (!isIPv6(host.slice(1, -1))) return { problem: `has "${host}", which is not an IPv6 address` }
  } else {
    if (input.includes(']')) return { problem: 'has an unbalanced "]": write an IPv6 address as [2001:db8::1]:443' }
    const colons = input.split(':').length - 1
    if (colons > 1) {
      return isIPv6(input)
        ? { problem: 'is an IPv6 address without brackets: write it as [address]:port' }
        : { problem: 'has more than one ":"' }
    }
    const colon = input.indexOf(':')
    host = colon === -1 ? input : input.slice(0, colon)
    portText = colon === -1 ? undefined : input.slice(colon + 1)
  }

  let port: number | undefined
  if (portText !== undefined) {
    if (portText === '') return { problem: 'has an empty port after ":"' }
    if (!PORT.test(portText)) return { problem: `has port "${portText}", which is not a number from 1 to 65535` }
    port = Number(portText)
    if (port < 1 || port > 65535) return { problem: `has port ${portText}, outside 1–65535` }
  }

  if (host.startsWith('[')) return { value: { hostname: host, port, kind: 'ipv6' } }
  const hostProblem = DOTTED_QUAD.test(host) ? ipv4Problem(host) : dnsNameProblem(host)
  if (hostProblem !== undefined) return { problem: hostProblem }
  return { value: { hostname: host, port, kind: DOTTED_QUAD.test(host) ? 'ipv4' : 'dns' } }
}

function ipv4Problem (host: string): string | undefined {
  const parts = host.split('.')
  if (parts.some(part => Number(part) > 255 || (part.length > 1 && part.startsWith('0')))) {
    return `has "${host}", which is not an IPv4 address (four parts from 0 to 255)`
  }
  return undefined
}

function dnsNameProblem (host: string): string | undefined {
  if (host === '') return 'has no host name before the port'
  if (host.length > MAX_DNS_NAME_LENGTH) return `has a host name of ${host.length} characters (at most ${MAX_DNS_NAME_LENGTH})`
  const bad = /[^A-Za-z0-9.-]/.exec(host)
  if (bad !== null) return `contains "${bad[0]}": a host name has only letters, digits, "-" and "."`
  for (const label of host.split('.')) {
    if (label === '') return 'has an empty label: no leading, trailing or double dots'
    if (label.length > MAX_LABEL_LENGTH) return `has a label of ${label.length} characters (at most ${MAX_LABEL_LENGTH})`
  }
  return undefined
}

/** Advice that does not stop start-up, for a value parseServerName accepted. */
export function serverNameWarnings (input: string, facts: ServerNameFacts): string[] {
  const warnings: string[] = []
  const privateHost = privateHostWarning(facts.hostname, facts.kind)
  if (privateHost !== undefined) warnings.push(privateHost)
  if (facts.port === undefined) {
    warnings.push(`"${input}" has no port: remote servers will look up SRV records for it and otherwise connect to port 8448; write "${input}:443" if the homeserver answers on 443`)
  }
  if (input !== input.toLowerCase()) {
    warnings.push(`"${input}" has upper-case letters: the Matrix spec recommends lower-case server names`)
  }
  if (input.length > 230) {
    warnings.push(`"${input.slice(0, 40)}…" is ${input.length} characters long: the Matrix spec recommends at most 230`)
  }
  return warnings
}

/** HOST: an IP address or a host name to listen on, without brackets or port. */
export function listenHostProblem (input: string): string | undefined {
  if (isIP(input) !== 0 || parseServerName(input).value?.kind === 'dns') return undefined
  return 'is not an IP address or host name to listen on'
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

/**
 * An absolute https URL with a host and no query, fragment or credentials, as
 * matrix-js-sdk and the spec's discovery steps expect; http only for a loopback
 * host so that a homeserver on the same machine can be tested.
 */
export function httpsUrlProblem (input: string): string | undefined {
  if (input === '') return 'is empty'
  if (CONTROL.test(input)) return 'contains a control character'
  if (/\s/.test(input)) return 'contains whitespace'
  // Checked as typed, since it is served as typed: URL parsers differ on all of these.
  if (input.includes('\\')) return 'contains "\\", which URL parsers read differently'
  if (/[^\x21-\x7e]/.test(input)) return 'has characters outside ASCII: write an internationalised host name in its punycode form (xn--…)'
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return 'is not an absolute URL such as https://matrix.example.com'
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname) && !/^127\.\d+\.\d+\.\d+$/.test(url.hostname)) {
      return 'uses http://: use https:// (http is accepted only for a loopback host)'
    }
  } else if (url.protocol !== 'https:') {
    return `uses "${url.protocol}": use https://`
  }
  const authority = urlAuthority(input) ?? ''
  if (authority === '') return 'has no host'
  if (authority.includes('@')) return 'has a user name or password: remove them'
  if (input.includes('?')) return 'has a query ("?…"): remove it'
  if (input.includes('#')) return 'has a fragment ("#…"): remove it'
  const host = parseServerName(authority)
  if (host.problem !== undefined) return `has a host that ${host.problem}`
  // "0x7f.1" or "1.2.3": URL parsers read a name ending in a number as an IPv4 address.
  return host.value.kind === 'dns' ? numericHostProblem(host.value.hostname) : undefined
}

/** The authority of an http(s) URL exactly as written (user info, host and port), or undefined for another target. */
export function urlAuthority (url: string): string | undefined {
  return /^https?:\/\/([^/?#]*)/i.exec(url)?.[1]
}

/** `@localpart:server_name`; historical localparts may hold any printable ASCII but ":". */
export function matrixIdProblem (input: string): string | undefined {
  if (!input.startsWith('@')) return 'does not start with "@"'
  const colon = input.indexOf(':')
  if (colon === -1) return 'has no ":server_name"'
  const localpart = input.slice(1, colon)
  if (localpart === '') return 'has an empty localpart'
  if (!/^[\x21-\x7e]+$/.test(localpart)) return `has the localpart "${localpart}", which holds characters a user ID cannot`
  if (input.length > 255) return `is ${input.length} characters long (at most 255)`
  const server = parseServerName(input.slice(colon + 1))
  if (server.problem !== undefined) return `has a server name that ${server.problem}`
  return undefined
}

export function emailProblem (input: string): string | undefined {
  const at = input.lastIndexOf('@')
  if (at < 1 || /\s/.test(input)) return 'is not an email address such as ops@example.com'
  const domain = dnsNameProblem(input.slice(at + 1))
  if (domain !== undefined || !input.slice(at + 1).includes('.')) return 'has a domain that is not a host name'
  return undefined
}

/** Java-package style namespacing the spec requires of custom keys and roles. */
export function isNamespaced (key: string): boolean {
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)
}

/**
 * JSON.parse with the parser's own message, which carries the position; then
 * what it would hide: too deep a nesting, numbers that would be served as
 * another value, control characters.
 */
export function parseJson (input: string): Parsed<unknown> {
  let value: unknown
  try {
    value = JSON.parse(input)
  } catch (err) {
    return { problem: `is not valid JSON: ${(err as Error).message}` }
  }
  const problem = jsonTextProblem(jsonTextFacts(input))
  return problem === undefined ? { value } : { problem }
}

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const SPEC_ROLES = new Set(['m.role.admin', 'm.role.security'])
const CONTACT_KEYS = new Set(['role', 'matrix_id', 'email_address'])

/** The `contacts` array of the support document (spec: support.yaml). */
export function supportContactsProblem (value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'is not a JSON array of contacts'
  if (value.length === 0) return 'is an empty array: give at least one contact'
  for (const [index, contact] of value.entries()) {
    const where = `contact ${index + 1}`
    if (!isPlainObject(contact)) return `has ${where} that is not an object`
    const { role, matrix_id: matrixId, email_address: email } = contact
    if (typeof role !== 'string') return `has ${where} without a "role" ("m.role.admin" or "m.role.security")`
    if (!SPEC_ROLES.has(role) && (role.startsWith('m.') || !isNamespaced(role))) {
      return `has ${where} with role "${role}": use "m.role.admin", "m.role.security" or a namespaced role`
    }
    if (matrixId === undefined && email === undefined) return `has ${where} with neither "matrix_id" nor "email_address"`
    if (matrixId !== undefined) {
      const problem = typeof matrixId === 'string' ? matrixIdProblem(matrixId) : 'is not a string'
      if (problem !== undefined) return `has ${where} whose matrix_id ${problem}`
    }
    if (email !== undefined) {
      const problem = typeof email === 'string' ? emailProblem(email) : 'is not a string'
      if (problem !== undefined) return `has ${where} whose email_address ${problem}`
    }
    const unknown = Object.keys(contact).find(key => !CONTACT_KEYS.has(key) && !isNamespaced(key))
    if (unknown !== undefined) return `has ${where} with the unknown key "${unknown}"`
  }
  return undefined
}

/** A problem found inside a document: the dotted path of the field, and what is wrong. */
export interface FieldProblem {
  readonly field: string
  readonly problem: string
}

/** A JSON value that should be an https URL clients can use: a string, and such a URL. */
export function urlValueProblem (value: unknown): string | undefined {
  return typeof value === 'string' ? httpsUrlProblem(value) : 'is not a string'
}

/** A document's URL field: present, a string, and an https URL clients can use. */
export function urlField (value: unknown, field: string): FieldProblem | undefined {
  if (value === undefined) return { field, problem: 'is missing' }
  const problem = urlValueProblem(value)
  return problem === undefined ? undefined : { field, problem }
}

/** A support document as served: contacts and/or support_page. */
export function supportDocumentProblem (value: unknown): FieldProblem | undefined {
  if (!isPlainObject(value)) return { field: 'support', problem: 'is not a JSON object' }
  const { contacts, support_page: supportPage, ...rest } = value
  const unknown = Object.keys(rest).find(key => !isNamespaced(key))
  if (unknown !== undefined) return { field: `support.${unknown}`, problem: 'is not a support field (contacts, support_page)' }
  if (contacts === undefined && supportPage === undefined) return { field: 'support', problem: 'has neither contacts nor support_page' }
  if (contacts !== undefined) {
    const problem = supportContactsProblem(contacts)
    if (problem !== undefined) return { field: 'support.contacts', problem }
  }
  return supportPage === undefined ? undefined : urlField(supportPage, 'support.support_page')
}
