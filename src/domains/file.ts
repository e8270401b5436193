// Many server names from one instance: a file maps each hostname to its
// documents. It is read and validated whole into a snapshot, so that a reload
// swaps one complete, valid set for another or changes nothing.
import { createHash } from 'node:crypto'
import { obsoleteKeyWarnings } from '../client-document.js'
import { DOCUMENT_BUILDERS, DOCUMENT_NAMES, type DocumentBodies, type DocumentName } from '../documents.js'
import { privateHostWarning } from '../federation-host.js'
import { jsonTextFacts, jsonTextProblem } from '../json-text.js'
import { readRegularFile } from '../regular-file.js'
import { isPlainObject, parseServerName } from '../validators.js'

export interface DomainsSnapshot {
  /** The file they came from. */
  readonly file: string
  /** Lower-case hostname → its documents, serialised as served. */
  readonly hosts: ReadonlyMap<string, DocumentBodies>
  /** Of the file's bytes: a change notification with identical content reloads nothing. */
  readonly digest: string
  /** Advice about the hosts' documents (obsolete keys), to log; it does not refuse the file. */
  readonly warnings: readonly string[]
}

// A file of thousands of hosts copied from one template would otherwise log
// thousands of identical lines at every reload.
const MAX_WARNINGS = 20

/** What parses a YAML domains file: the yaml package's parse, loaded only for such a file. */
export type YamlParser = (text: string) => unknown

export function isYamlFile (path: string): boolean {
  return /\.ya?ml$/i.test(path)
}

/**
 * The YAML parser a domains file needs, loaded only then: the yaml package
 * costs memory and start-up time that a JSON file does not need (docs/performance.md).
 */
export async function yamlParserFor (path: string | undefined): Promise<YamlParser | undefined> {
  return path !== undefined && isYamlFile(path) ? (await import('yaml')).parse : undefined
}

export class DomainsFileError extends Error {
  readonly code = 'WK_ERR_DOMAINS_FILE_INVALID'
  readonly host: string | undefined
  readonly field: string | undefined
  /** Of the refused content, when the file could be read. */
  digest: string | undefined

  constructor (message: string, host?: string, field?: string) {
    super(message)
    this.name = 'DomainsFileError'
    this.host = host
    this.field = field
  }
}

const DOCUMENT_KEYS = new Set<string>(DOCUMENT_NAMES)
const DOCUMENT_LIST = DOCUMENT_NAMES.join(', ')

function entryDocuments (host: string, entry: unknown, warnings: string[]): DocumentBodies {
  const refuse = (field: string, problem: string): never => {
    throw new DomainsFileError(`host "${host}": ${field} ${problem}`, host, field)
  }
  if (!isPlainObject(entry)) return refuse('entry', `is not an object with ${DOCUMENT_LIST}`)
  const unknown = Object.keys(entry).find(key => !DOCUMENT_KEYS.has(key))
  if (unknown !== undefined) refuse(unknown, `is not one of ${DOCUMENT_LIST}`)
  const bodies: Partial<Record<DocumentName, string>> = {}
  for (const name of DOCUMENT_NAMES) {
    if (entry[name] === undefined) continue
    const document = DOCUMENT_BUILDERS[name](entry[name])
    if (document.problem !== undefined) refuse(document.problem.field, document.problem.problem)
    bodies[name] = document.body
  }
  if (Object.keys(bodies).length === 0) refuse('entry', `has none of ${DOCUMENT_LIST}`)
  if (bodies.client !== undefined) {
    for (const warning of obsoleteKeyWarnings(entry.client as Record<string, unknown>)) warnings.push(`host "${host}": client ${warning}`)
  }
  const server = bodies.server === undefined ? undefined : parseServerName(entry.server as string).value
  const privateHost = server === undefined ? undefined : privateHostWarning(server.hostname, server.kind)
  if (privateHost !== undefined) warnings.push(`host "${host}": server ${privateHost}`)
  return Object.freeze(bodies)
}

/**
 * Parses and validates a domains file's text; throws DomainsFileError naming
 * the host and field. Advice about the documents goes to `warnings`.
 */
export function parseDomains (text: string, parseYaml: YamlParser | undefined,
  warnings: string[] = []): ReadonlyMap<string, DocumentBodies> {
  const yaml = parseYaml !== undefined
  let content: unknown
  try {
    content = yaml ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    throw new DomainsFileError(`is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!yaml) {
    const facts = jsonTextFacts(text)
    const problem = jsonTextProblem(facts)
    if (problem !== undefined) throw new DomainsFileError(problem)
    if (facts.duplicateTopLevelKey !== undefined) {
      throw new DomainsFileError(`host "${facts.duplicateTopLevelKey}" is listed twice`, facts.duplicateTopLevelKey, 'hostname')
    }
  }
  if (!isPlainObject(content)) throw new DomainsFileError('is not an object mapping hostnames to their documents')
  const hosts = new Map<string, DocumentBodies>()
  for (const [key, entry] of Object.entries(content)) {
    const host = key.toLowerCase()
    const parsed = parseServerName(host)
    if (parsed.problem !== undefined) throw new DomainsFileError(`host "${key}" ${parsed.problem}`, key, 'hostname')
    if (parsed.value.port !== undefined) throw new DomainsFileError(`host "${key}" has a port: give the hostname only`, key, 'hostname')
    if (hosts.has(host)) throw new DomainsFileError(`host "${key}" is listed twice`, key, 'hostname')
    hosts.set(host, entryDocuments(key, entry, warnings))
  }
  if (hosts.size === 0) throw new DomainsFileError('lists no hostname')
  return hosts
}

/** Reads the file (through symlinks, as Kubernetes ConfigMaps need) and parses it; a YAML file with `parseYaml`. */
export function loadDomainsFile (path: string, parseYaml: YamlParser | undefined): DomainsSnapshot {
  if (isYamlFile(path) && parseYaml === undefined) throw new DomainsFileError('is a YAML file, and no YAML parser was loaded for it')
  let text: string
  try {
    text = readRegularFile(path)
  } catch (err) {
    throw new DomainsFileError(`cannot be read: ${(err as Error).message}`)
  }
  const digest = createHash('sha256').update(text).digest('hex')
  const warnings: string[] = []
  try {
    const hosts = parseDomains(text, isYamlFile(path) ? parseYaml : undefined, warnings)
    return Object.freeze({ file: path, hosts, digest, warnings: Object.freeze(capped(warnings)) })
  } catch (err) {
    (err as DomainsFileError).digest = digest
    throw err
  }
}

function capped (warnings: string[]): string[] {
  if (warnings.length <= MAX_WARNINGS) return warnings
  return [...warnings.slice(0, MAX_WARNINGS), `and ${warnings.length - MAX_WARNINGS} more such warnings about other hosts of the file`]
}
