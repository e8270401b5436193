// The one place that turns environment variables into settings. server.ts passes
// the environment in, so tests never touch process.env; every problem is found in
// one pass and reported as one line per variable, so an admin fixes all of them in
// a single restart.
import proxyAddr from '@fastify/proxy-addr'
import envSchema from 'env-schema'
import { readDotenv } from './dotenv.js'
import { DOCUMENT_VARIABLES, documentsFromSettings } from './document-settings.js'
import type { DocumentBodies } from './documents.js'
import { loadDomainsFile, type DomainsFileError, type DomainsSnapshot, type YamlParser } from './domains/file.js'
import type { LogLevel } from './logger.js'
import { readableText } from './readable-text.js'
import { ENV_SCHEMA, EXAMPLES, type SettingValues, type Variable } from './settings.js'
import { listenHostProblem } from './validators.js'

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

// A value, and a problem that may quote it (a file name, proxy-addr's message),
// are shown cut to these lengths: a 120 KB value stays one readable line.
const MAX_VALUE_SHOWN = 120
const MAX_PROBLEM_SHOWN = 400

/** One line per bad variable: its name, its value and a good example, every control character escaped. */
function errorLine (variable: Variable, value: unknown, problem: string): string {
  const shown = readableText(JSON.stringify(String(value)), MAX_VALUE_SHOWN)
  const quoted = shown.endsWith('"') ? shown : `${shown}"`
  return `${variable}=${quoted} ${readableText(problem, MAX_PROBLEM_SHOWN)} (example: ${variable}=${EXAMPLES[variable]})`
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
    throw new ConfigError([readableText(`${String(path)} cannot be read: ${(err as Error).message}`, MAX_PROBLEM_SHOWN)])
  }
}

type AjvError = { instancePath: string, message?: string, params: Record<string, unknown> }

const INTEGER_VARIABLES = Object.entries(ENV_SCHEMA.properties)
  .filter(([, property]) => property.type === 'integer').map(([name]) => name as Variable)

/**
 * The settings with their defaults, and a line for each bad one. A bad value is
 * set aside and the rest read again, so that every problem is found in one pass.
 */
function readEnvironment (env: Environment, options: LoadOptions,
  warnings: string[]): { raw: SettingValues, problems: string[] } {
  // The environment wins over the dotenv file, as env-schema and docker --env-file do.
  const data: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...readDotenvFile(options.dotenvPath), ...env })) {
    if (value === undefined) continue
    if (key in EXAMPLES) data[key] = value
    else if (key.startsWith('MATRIX_')) warnings.push(unknownVariable(key))
  }
  const problems: string[] = []
  const setAside = (variable: Variable, problem: string) => {
    problems.push(errorLine(variable, data[variable], problem))
    delete data[variable]
  }
  // Ajv would read "Infinity", "1e3" or " " as numbers: only digits are a whole number here.
  for (const variable of INTEGER_VARIABLES) {
    if (data[variable] !== undefined && !/^-?\d{1,15}$/.test(data[variable])) setAside(variable, 'is not a whole number')
  }
  try {
    return { raw: envSchema<SettingValues>({ schema: ENV_SCHEMA, data, env: false }), problems }
  } catch (err) {
    for (const error of (err as { errors: AjvError[] }).errors) {
      setAside(error.instancePath.slice(1) as Variable, ajvProblem(error.message, error.params))
    }
    return { raw: envSchema<SettingValues>({ schema: ENV_SCHEMA, data, env: false }), problems }
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
  const report = (variable: Variable, problem: string): void => {
    problems.push(errorLine(variable, raw[variable], problem))
  }

  const hostProblem = listenHostProblem(raw.HOST)
  if (hostProblem !== undefined) report('HOST', hostProblem)

  // Two listeners on port 0 each get a port of their own.
  if (raw.METRICS_PORT === raw.PORT && raw.PORT !== 0) {
    report('METRICS_PORT', 'is the port the documents are served on: metrics need a port of their own, which no proxy rule exposes')
  }

  const trustProxy = parseTrustProxy(raw.TRUST_PROXY)
  if (typeof trustProxy === 'string') report('TRUST_PROXY', trustProxy)

  const singleDomain = DOCUMENT_VARIABLES.filter(variable => raw[variable] !== undefined)
  let documents: DocumentBodies = {}
  let domainsFile: DomainsSnapshot | undefined
  if (raw.MATRIX_DOMAINS_FILE !== undefined) {
    if (singleDomain.length > 0) {
      report('MATRIX_DOMAINS_FILE', `cannot be combined with ${singleDomain.join(', ')}: describe every host in the file`)
    } else {
      domainsFile = readDomainsFile(raw.MATRIX_DOMAINS_FILE, options.parseYaml, report)
      warnings.push(...(domainsFile?.warnings ?? []).map(warning => `MATRIX_DOMAINS_FILE: ${warning}`))
    }
  } else if (singleDomain.length === 0) {
    problems.push('MATRIX_SERVER is not set, and neither is MATRIX_CLIENT_BASE_URL: there is nothing to serve ' +
      `(example: MATRIX_SERVER=${EXAMPLES.MATRIX_SERVER})`)
  } else {
    documents = documentsFromSettings(raw, report, warnings)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  warnings.push(...idleSettingWarnings(raw, trustProxy as Config['trustProxy'], domainsFile !== undefined))

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

function readDomainsFile (path: string, parseYaml: YamlParser | undefined,
  report: (variable: 'MATRIX_DOMAINS_FILE', problem: string) => void): DomainsSnapshot | undefined {
  try {
    return loadDomainsFile(path, parseYaml)
  } catch (err) {
    // loadDomainsFile reports every problem, unreadable file included, as a DomainsFileError.
    report('MATRIX_DOMAINS_FILE', (err as DomainsFileError).message)
    return undefined
  }
}

/**
 * Settings given a value that changes nothing in the mode the service runs in:
 * worth a word, since whoever set them expects them to.
 */
function idleSettingWarnings (raw: SettingValues, trustProxy: Config['trustProxy'], multiDomain: boolean): string[] {
  const warnings: string[] = []
  if (raw.TRUST_FORWARDED_HOST && !multiDomain) {
    warnings.push('TRUST_FORWARDED_HOST=true does nothing without MATRIX_DOMAINS_FILE: only multi-domain mode chooses documents by host')
  } else if (raw.TRUST_FORWARDED_HOST && trustProxy === false) {
    warnings.push('TRUST_FORWARDED_HOST=true does nothing while TRUST_PROXY is false: X-Forwarded-Host is believed only from a trusted proxy')
  }
  if (!multiDomain && raw.DOMAINS_FILE_CHECK_MS !== ENV_SCHEMA.properties.DOMAINS_FILE_CHECK_MS.default) {
    warnings.push(`DOMAINS_FILE_CHECK_MS=${raw.DOMAINS_FILE_CHECK_MS} does nothing without MATRIX_DOMAINS_FILE: it sets how often that file is looked at`)
  }
  return warnings
}
