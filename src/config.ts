// The one place that turns environment variables into settings. server.ts passes
// the environment in, so tests never touch process.env; every problem is found in
// one pass and reported as one line per variable, so an admin fixes all of them in
// a single restart.
import proxyAddr from '@fastify/proxy-addr'
import envSchema from 'env-schema'
import { readDotenv } from './dotenv.js'
import { LISTEN_DEFAULTS } from './listen-defaults.js'
import { clientDocument, policyServerDocument, serverDocument, supportDocument, type BuiltDocument, type DocumentBodies, type DocumentName } from './documents.js'
import { loadDomainsFile, type DomainsFileError, type DomainsSnapshot, type YamlParser } from './domains/file.js'
import {
  clientExtraProblem,
  httpsUrlProblem,
  listenHostProblem,
  parseJson,
  parseServerName,
  serverNameWarnings,
  supportContactsProblem
} from './validators.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

export const ENV_SCHEMA = {
  type: 'object',
  properties: {
    MATRIX_SERVER: { type: 'string' },
    MATRIX_CLIENT_BASE_URL: { type: 'string' },
    MATRIX_IDENTITY_SERVER_BASE_URL: { type: 'string' },
    MATRIX_CLIENT_EXTRA: { type: 'string' },
    MATRIX_SUPPORT_CONTACTS: { type: 'string' },
    MATRIX_SUPPORT_PAGE: { type: 'string' },
    MATRIX_POLICY_SERVER_ED25519_KEY: { type: 'string' },
    MATRIX_DOMAINS_FILE: { type: 'string' },
    // Besides change notifications, which network and bind mounts may never deliver.
    DOMAINS_FILE_CHECK_MS: { type: 'integer', minimum: 0, maximum: 3_600_000, default: 5000 }, // ms; 0: notifications and SIGHUP only
    HOST: { type: 'string', default: LISTEN_DEFAULTS.host },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: LISTEN_DEFAULTS.port }, // 0: any free port, which the `serving` line names
    // Synapse clamps the period to 5 min–48 h and the spec recommends at most 48 h.
    CACHE_MAX_AGE: { type: 'integer', minimum: 300, maximum: 172800, default: 14400 }, // seconds
    // Off unless set: a port of its own, which no proxy rule for the documents exposes.
    METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    LOG_LEVEL: { type: 'string', enum: LOG_LEVELS, default: 'info' },
    // The reverse proxy already keeps an access log, and a line per request costs a third of our throughput.
    LOG_REQUESTS: { type: 'boolean', default: false },
    TRUST_PROXY: { type: 'string', default: 'false' },
    // Only a proxy that overwrites X-Forwarded-Host may choose the customer with it.
    TRUST_FORWARDED_HOST: { type: 'boolean', default: false },
    // Enough for a proxy polling /readyz every few hundred ms to see it fail, and short
    // enough that `docker stop` ends within 2 s. Kubernetes needs more (README).
    SHUTDOWN_DRAIN_MS: { type: 'integer', minimum: 0, maximum: 60000, default: 500 } // milliseconds
  }
} as const

/** A good value for every variable, quoted in each error line. */
export const EXAMPLES: Record<keyof typeof ENV_SCHEMA.properties, string> = {
  MATRIX_SERVER: 'matrix.example.com:443',
  MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
  MATRIX_IDENTITY_SERVER_BASE_URL: 'https://vector.im',
  MATRIX_CLIENT_EXTRA: '{"org.matrix.msc2965.authentication":{"issuer":"https://auth.example.com/","account":"https://auth.example.com/account"}}',
  MATRIX_SUPPORT_CONTACTS: '[{"role":"m.role.admin","matrix_id":"@admin:example.com","email_address":"admin@example.com"}]',
  MATRIX_SUPPORT_PAGE: 'https://example.com/support',
  MATRIX_POLICY_SERVER_ED25519_KEY: 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs',
  MATRIX_DOMAINS_FILE: '/etc/matrix-well-known/domains.json',
  DOMAINS_FILE_CHECK_MS: '5000',
  HOST: '0.0.0.0',
  PORT: '8080',
  CACHE_MAX_AGE: '14400',
  METRICS_PORT: '9100',
  LOG_LEVEL: 'info',
  LOG_REQUESTS: 'true',
  TRUST_PROXY: '127.0.0.1,10.0.0.0/8',
  TRUST_FORWARDED_HOST: 'true',
  SHUTDOWN_DRAIN_MS: '500'
}

type Variable = keyof typeof EXAMPLES

export interface Config {
  readonly host: string
  readonly port: number
  readonly cacheMaxAge: number
  readonly logLevel: LogLevel
  readonly logRequests: boolean
  /** Prometheus metrics on this port of their own; undefined: off. */
  readonly metricsPort?: number
  readonly trustProxy: boolean | readonly string[]
  /** Multi-domain mode: choose the host by X-Forwarded-Host from a trusted proxy. */
  readonly trustForwardedHost: boolean
  readonly shutdownDrainMs: number
  /** Single-domain mode: the documents every request gets. Empty in multi-domain mode. */
  readonly documents: DocumentBodies
  /** Multi-domain mode: the hosts and documents the domains file gave at start-up. */
  readonly domainsFile?: DomainsSnapshot
  /** Multi-domain mode: how often the file is looked at without a change notification (0: never). */
  readonly domainsFileCheckMs: number
}

export interface LoadedConfig {
  readonly config: Config
  /** Advice to log at start-up; it does not stop the service. */
  readonly warnings: readonly string[]
}

export class ConfigError extends Error {
  readonly code = 'WK_ERR_CONFIG_INVALID'
  /** One line per bad variable. */
  readonly problems: readonly string[]

  constructor (problems: readonly string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export type Environment = Readonly<Record<string, string | undefined>>

export interface LoadOptions {
  /** A dotenv file read under the environment (the environment wins); false for none. */
  readonly dotenvPath: string | false
  /** Parses a YAML domains file; see domainsFileSetting. */
  readonly parseYaml?: YamlParser
}

interface RawSettings {
  MATRIX_SERVER?: string
  MATRIX_CLIENT_BASE_URL?: string
  MATRIX_IDENTITY_SERVER_BASE_URL?: string
  MATRIX_CLIENT_EXTRA?: string
  MATRIX_SUPPORT_CONTACTS?: string
  MATRIX_SUPPORT_PAGE?: string
  MATRIX_POLICY_SERVER_ED25519_KEY?: string
  MATRIX_DOMAINS_FILE?: string
  DOMAINS_FILE_CHECK_MS: number
  HOST: string
  PORT: number
  CACHE_MAX_AGE: number
  METRICS_PORT?: number
  LOG_LEVEL: LogLevel
  LOG_REQUESTS: boolean
  TRUST_PROXY: string
  TRUST_FORWARDED_HOST: boolean
  SHUTDOWN_DRAIN_MS: number
}

function describe (variable: Variable, value: unknown, problem: string): string {
  let shown = JSON.stringify(String(value))
  if (shown.length > 120) shown = `${shown.slice(0, 119)}…"`
  return `${variable}=${shown} ${problem} (example: ${variable}=${EXAMPLES[variable]})`
}

/**
 * MATRIX_DOMAINS_FILE as loadConfig will see it, read before it so that the
 * caller can load a YAML parser first; a .env that cannot be read is left for
 * loadConfig to report.
 */
export function domainsFileSetting (env: Environment, dotenvPath: string | false): string | undefined {
  try {
    return env.MATRIX_DOMAINS_FILE ?? readDotenv(dotenvPath).MATRIX_DOMAINS_FILE
  } catch {
    return undefined
  }
}

function readDotenvFile (path: string | false): Record<string, string> {
  try {
    return readDotenv(path)
  } catch (err) {
    throw new ConfigError([`${String(path)} cannot be read: ${(err as Error).message}`])
  }
}

type AjvError = { instancePath: string, message?: string, params: Record<string, unknown> }

const INTEGER_VARIABLES = Object.entries(ENV_SCHEMA.properties)
  .filter(([, property]) => property.type === 'integer').map(([name]) => name as Variable)

/**
 * The settings with their defaults, and a line for each bad one. A bad value is
 * set aside and the rest read again, so that every problem is found in one pass.
 */
function readEnvironment (env: Environment, options: LoadOptions, warnings: string[]): { raw: RawSettings, problems: string[] } {
  // The environment wins over the dotenv file, as env-schema and docker --env-file do.
  const data: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...readDotenvFile(options.dotenvPath), ...env })) {
    if (value === undefined) continue
    if (key in EXAMPLES) data[key] = value
    else if (key.startsWith('MATRIX_')) warnings.push(unknownVariable(key))
  }
  const problems: string[] = []
  const setAside = (variable: Variable, problem: string) => {
    problems.push(describe(variable, data[variable], problem))
    delete data[variable]
  }
  // Ajv would read "Infinity", "1e3" or " " as numbers: only digits are a whole number here.
  for (const variable of INTEGER_VARIABLES) {
    if (data[variable] !== undefined && !/^-?\d{1,15}$/.test(data[variable])) setAside(variable, 'is not a whole number')
  }
  try {
    return { raw: envSchema<RawSettings>({ schema: ENV_SCHEMA, data, env: false }), problems }
  } catch (err) {
    for (const error of (err as { errors: AjvError[] }).errors) {
      setAside(error.instancePath.slice(1) as Variable, ajvProblem(error.message, error.params))
    }
    return { raw: envSchema<RawSettings>({ schema: ENV_SCHEMA, data, env: false }), problems }
  }
}

/** A misspelt variable is otherwise silently ignored: name the closest one we know. */
function unknownVariable (name: string): string {
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
    for (let i = 1; i <= a.length; i++) {
      const current = [i]
      for (let j = 1; j <= b.length; j++) {
        current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.length]!
  }
  const [closest] = Object.keys(EXAMPLES).sort((a, b) => distance(name, a) - distance(name, b))
  return `${name} is not a setting of this service and is ignored: did you mean ${closest}?`
}

function ajvProblem (message: string | undefined, params: Record<string, unknown>): string {
  if (params.allowedValues !== undefined) return `is not one of ${(params.allowedValues as string[]).join(', ')}`
  if (params.limit !== undefined) return `is out of range: it ${message}`
  return `is not valid: it ${message}`
}

export function loadConfig (env: Environment, options: LoadOptions): LoadedConfig {
  const warnings: string[] = []
  const { raw, problems } = readEnvironment(env, options, warnings)
  const fail = (variable: Variable, problem: string): void => {
    problems.push(describe(variable, raw[variable], problem))
  }

  const hostProblem = listenHostProblem(raw.HOST)
  if (hostProblem !== undefined) fail('HOST', hostProblem)

  // Two listeners on port 0 each get a port of their own.
  if (raw.METRICS_PORT === raw.PORT && raw.PORT !== 0) {
    fail('METRICS_PORT', 'is the port the documents are served on: metrics need a port of their own, which no proxy rule exposes')
  }

  const trustProxy = parseTrustProxy(raw.TRUST_PROXY)
  if (typeof trustProxy === 'string') fail('TRUST_PROXY', trustProxy)

  const singleDomain = SINGLE_DOMAIN_VARIABLES.filter(variable => raw[variable] !== undefined)
  let documents: DocumentBodies = {}
  let domainsFile: DomainsSnapshot | undefined
  if (raw.MATRIX_DOMAINS_FILE !== undefined) {
    if (singleDomain.length > 0) {
      fail('MATRIX_DOMAINS_FILE', `cannot be combined with ${singleDomain.join(', ')}: describe every host in the file`)
    } else {
      domainsFile = readDomainsFile(raw.MATRIX_DOMAINS_FILE, options.parseYaml, fail)
    }
  } else if (singleDomain.length === 0) {
    problems.push('MATRIX_SERVER is not set, and neither is MATRIX_CLIENT_BASE_URL: there is nothing to serve ' +
      `(example: MATRIX_SERVER=${EXAMPLES.MATRIX_SERVER})`)
  } else {
    documents = composeDocuments(raw, fail, warnings)
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const config: Config = {
    host: raw.HOST,
    port: raw.PORT,
    cacheMaxAge: raw.CACHE_MAX_AGE,
    logLevel: raw.LOG_LEVEL,
    logRequests: raw.LOG_REQUESTS,
    trustProxy: Object.freeze(trustProxy) as Config['trustProxy'],
    trustForwardedHost: raw.TRUST_FORWARDED_HOST,
    shutdownDrainMs: raw.SHUTDOWN_DRAIN_MS,
    domainsFileCheckMs: raw.DOMAINS_FILE_CHECK_MS,
    documents: Object.freeze(documents),
    ...(domainsFile === undefined ? {} : { domainsFile }),
    ...(raw.METRICS_PORT === undefined ? {} : { metricsPort: raw.METRICS_PORT })
  }
  return Object.freeze({ config: Object.freeze(config), warnings: Object.freeze(warnings) })
}

/** true, false, or the list Fastify hands to proxy-addr, checked by proxy-addr itself; otherwise the problem. */
function parseTrustProxy (value: string): boolean | readonly string[] | string {
  if (value === 'false' || value === '') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) {
    return 'is a hop count, which Fastify 5 cannot check against the nearest peer and so trusts nothing: list the proxies\' addresses or ranges instead'
  }
  const entries = value.split(',').map(entry => entry.trim())
  try {
    proxyAddr.compile(entries)
    return entries
  } catch (err) {
    return `is not true, false or a list of addresses, CIDR ranges, loopback, linklocal and uniquelocal (${(err as Error).message})`
  }
}

type Fail = (variable: Variable, problem: string) => void

const SINGLE_DOMAIN_VARIABLES = [
  'MATRIX_SERVER', 'MATRIX_CLIENT_BASE_URL', 'MATRIX_IDENTITY_SERVER_BASE_URL',
  'MATRIX_CLIENT_EXTRA', 'MATRIX_SUPPORT_CONTACTS', 'MATRIX_SUPPORT_PAGE', 'MATRIX_POLICY_SERVER_ED25519_KEY'
] as const

function readDomainsFile (path: string, parseYaml: YamlParser | undefined, fail: Fail): DomainsSnapshot | undefined {
  try {
    return loadDomainsFile(path, parseYaml)
  } catch (err) {
    // loadDomainsFile reports every problem, unreadable file included, as a DomainsFileError.
    fail('MATRIX_DOMAINS_FILE', (err as DomainsFileError).message)
    return undefined
  }
}

function composeDocuments (raw: RawSettings, fail: Fail, warnings: string[]): DocumentBodies {
  const documents: Partial<Record<DocumentName, string>> = {}

  if (raw.MATRIX_SERVER !== undefined) {
    const parsed = parseServerName(raw.MATRIX_SERVER)
    if (parsed.value !== undefined) {
      warnings.push(...serverNameWarnings(raw.MATRIX_SERVER, parsed.value).map(text => `MATRIX_SERVER: ${text}`))
    }
    documents.server = built(serverDocument(raw.MATRIX_SERVER), 'MATRIX_SERVER', fail)
  }

  const client = composeClient(raw, fail)
  if (client !== undefined) documents.client = built(clientDocument(client), 'MATRIX_CLIENT_EXTRA', fail)

  const support = composeSupport(raw, fail)
  if (support !== undefined) documents.support = built(supportDocument(support), 'MATRIX_SUPPORT_CONTACTS', fail)

  if (raw.MATRIX_POLICY_SERVER_ED25519_KEY !== undefined) {
    documents.policy_server = built(policyServerDocument(raw.MATRIX_POLICY_SERVER_ED25519_KEY), 'MATRIX_POLICY_SERVER_ED25519_KEY', fail)
  }

  return documents
}

/**
 * The body, or the builder's problem reported against `variable`. A variable
 * that fills part of a document is checked on its own first, so what is left
 * for the builder there is the document as a whole: its size.
 */
function built (document: BuiltDocument, variable: Variable, fail: Fail): string | undefined {
  if (document.problem === undefined) return document.body
  fail(variable, document.problem.problem)
  return undefined
}

function checkedUrl (raw: RawSettings, variable: Variable & `${string}_URL` | 'MATRIX_SUPPORT_PAGE', fail: Fail): string | undefined {
  const value = raw[variable]
  if (value === undefined) return undefined
  const problem = httpsUrlProblem(value)
  if (problem === undefined) return value
  fail(variable, problem)
  return undefined
}

function checkedJson (raw: RawSettings, variable: 'MATRIX_CLIENT_EXTRA' | 'MATRIX_SUPPORT_CONTACTS',
  check: (value: unknown) => string | undefined, fail: Fail): unknown {
  const text = raw[variable]
  if (text === undefined) return undefined
  const parsed = parseJson(text)
  const problem = parsed.problem ?? check(parsed.value)
  if (problem === undefined) return parsed.value
  fail(variable, problem)
  return undefined
}

/** The client document from its variables (a bad one is left out: its problem already stops start-up). */
function composeClient (raw: RawSettings, fail: Fail): object | undefined {
  const baseUrl = checkedUrl(raw, 'MATRIX_CLIENT_BASE_URL', fail)
  const identityServer = checkedUrl(raw, 'MATRIX_IDENTITY_SERVER_BASE_URL', fail)
  const extra = checkedJson(raw, 'MATRIX_CLIENT_EXTRA', clientExtraProblem, fail) as Record<string, unknown> | undefined
  if (raw.MATRIX_CLIENT_BASE_URL === undefined) {
    for (const variable of ['MATRIX_IDENTITY_SERVER_BASE_URL', 'MATRIX_CLIENT_EXTRA'] as const) {
      if (raw[variable] !== undefined) fail(variable, 'needs MATRIX_CLIENT_BASE_URL, the homeserver the client document points to')
    }
    return undefined
  }
  if (baseUrl === undefined) return undefined
  const document: Record<string, unknown> = { 'm.homeserver': { base_url: baseUrl } }
  if (identityServer !== undefined) document['m.identity_server'] = { base_url: identityServer }
  return { ...document, ...extra }
}

/** The support document from its variables (a bad one is left out: its problem already stops start-up). */
function composeSupport (raw: RawSettings, fail: Fail): object | undefined {
  const contacts = checkedJson(raw, 'MATRIX_SUPPORT_CONTACTS', supportContactsProblem, fail)
  const supportPage = checkedUrl(raw, 'MATRIX_SUPPORT_PAGE', fail)
  if (contacts === undefined && supportPage === undefined) return undefined
  const document: Record<string, unknown> = {}
  if (contacts !== undefined) document.contacts = contacts
  if (supportPage !== undefined) document.support_page = supportPage
  return document
}
