// The client document (/.well-known/matrix/client): what it must hold, the
// shapes clients rely on for the keys they read beyond m.homeserver (Element
// Call's foci, the map tile server), and the keys no current client reads.
// The service refuses a bad shape wherever the document comes from; `check`
// judges a published one by the same rules.
import { isNamespaced, isPlainObject, urlField, urlValueProblem, type FieldProblem } from './validators.js'

/** Element Call's foci (MSC4143): an array of focus objects, read by Element Web when the homeserver does not announce them. */
export const RTC_FOCI_KEY = 'org.matrix.msc4143.rtc_foci'
/** MSC3488's map tile server, under its stable and unstable names. */
export const TILE_SERVER_KEYS = ['m.tile_server', 'org.matrix.msc3488.tile_server']
const RESERVED_CLIENT_KEYS = new Set(['m.homeserver', 'm.identity_server'])
const notNamespaced = (key: string) => `has the key "${key}", which is not namespaced (it needs a dot, as in "org.example.setting")`
const LIVEKIT_FOCUS_EXAMPLE = '[{"type":"livekit","livekit_service_url":"https://livekit-jwt.example.com"}]'

/** Keys no current client reads, and what replaced each. */
export const OBSOLETE_CLIENT_KEYS: Readonly<Record<string, string>> = Object.freeze({
  'org.matrix.msc2965.authentication': 'clients find the sign-in server through /_matrix/client/v1/auth_metadata ' +
    'on the homeserver (spec v1.15), and Matrix Authentication Service dropped the key in v1.21',
  'm.authentication': 'it was never in the spec: clients find the sign-in server through /_matrix/client/v1/auth_metadata ' +
    'on the homeserver (spec v1.15)',
  'org.matrix.msc3575.proxy': 'homeservers serve simplified sliding sync themselves (org.matrix.simplified_msc3575 in ' +
    '/_matrix/client/versions); clients no longer read a proxy URL',
  'im.vector.riot.e2ee': 'Element reads io.element.e2ee instead'
})

/** The obsolete keys a document holds, each with what replaced it, as one sentence to warn with. */
export function obsoleteKeyWarnings (document: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(document).filter(key => Object.hasOwn(OBSOLETE_CLIENT_KEYS, key))
    .map(key => `"${key}" is obsolete: ${OBSOLETE_CLIENT_KEYS[key]}; remove it`)
}

/**
 * Element Call's foci: a non-empty array of objects with a non-empty string
 * "type"; a livekit focus names its JWT service by a URL that passes the rules
 * of base_url. Other focus types are kept as given.
 */
export function rtcFociProblem (foci: unknown): string | undefined {
  if (!Array.isArray(foci)) return `is not an array of foci: write ${LIVEKIT_FOCUS_EXAMPLE}`
  if (foci.length === 0) return 'is an empty array: give at least one focus, or leave the key out'
  for (const [index, focus] of foci.entries()) {
    const which = `focus ${index + 1}`
    if (!isPlainObject(focus)) return `has ${which}, which is not an object such as ${LIVEKIT_FOCUS_EXAMPLE.slice(1, -1)}`
    if (typeof focus.type !== 'string' || focus.type === '') return `has ${which} without a "type" (a non-empty string such as "livekit")`
    if (focus.type !== 'livekit') continue
    const url = focus.livekit_service_url
    if (url === undefined) return `has livekit ${which} without "livekit_service_url", the URL of its LiveKit JWT service`
    const problem = urlValueProblem(url)
    if (problem !== undefined) return `has livekit ${which} whose livekit_service_url ${problem}`
  }
  return undefined
}

/** MSC3488's tile server: an object whose map_style_url is an https URL. */
function tileServerProblem (tileServer: unknown): string | undefined {
  if (!isPlainObject(tileServer)) return 'is not an object such as {"map_style_url":"https://tiles.example.com/style.json"}'
  const url = tileServer.map_style_url
  if (url === undefined) return 'has no "map_style_url"'
  const problem = urlValueProblem(url)
  return problem === undefined ? undefined : `has a map_style_url that ${problem}`
}

const SHAPES: ReadonlyMap<string, (value: unknown) => string | undefined> = new Map([
  [RTC_FOCI_KEY, rtcFociProblem],
  ...TILE_SERVER_KEYS.map(key => [key, tileServerProblem] as const)
])

/** The problem with a key that has a published shape, or undefined; unknown namespaced keys are kept as given. */
export function clientKeyProblem (key: string, value: unknown): string | undefined {
  return SHAPES.get(key)?.(value)
}

/** Extra top-level keys for the client document: namespaced, none of the reserved ones, known ones in their shape. */
export function clientExtraProblem (value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'is not a JSON object such as {"org.matrix.msc4143.rtc_foci":' + LIVEKIT_FOCUS_EXAMPLE + '}'
  for (const [key, extra] of Object.entries(value)) {
    if (RESERVED_CLIENT_KEYS.has(key)) return `redefines "${key}": set it with its own variable`
    if (!isNamespaced(key)) return notNamespaced(key)
    const problem = clientKeyProblem(key, extra)
    if (problem !== undefined) return `has "${key}", which ${problem}`
  }
  return undefined
}

/**
 * What every client needs of the document: an object with
 * m.homeserver.base_url, an optional m.identity_server, namespaced extras.
 */
export function clientBaseProblem (value: unknown): FieldProblem | undefined {
  if (!isPlainObject(value)) return { field: 'client', problem: 'is not a JSON object' }
  const { 'm.homeserver': homeserver, 'm.identity_server': identityServer, ...extra } = value
  if (!isPlainObject(homeserver)) return { field: 'client.m.homeserver', problem: 'is missing or not an object' }
  const baseUrl = urlField(homeserver.base_url, 'client.m.homeserver.base_url')
  if (baseUrl !== undefined) return baseUrl
  if (identityServer !== undefined) {
    if (!isPlainObject(identityServer)) return { field: 'client.m.identity_server', problem: 'is not an object' }
    const identity = urlField(identityServer.base_url, 'client.m.identity_server.base_url')
    if (identity !== undefined) return identity
  }
  const unknown = Object.keys(extra).find(key => !isNamespaced(key))
  if (unknown === undefined) return undefined
  return { field: 'client', problem: notNamespaced(unknown) }
}

/** A client document as served: its base, and every key with a published shape in that shape. */
export function clientDocumentProblem (value: unknown): FieldProblem | undefined {
  const base = clientBaseProblem(value)
  if (base !== undefined) return base
  for (const [key, extra] of Object.entries(value as Record<string, unknown>)) {
    const problem = clientKeyProblem(key, extra)
    if (problem !== undefined) return { field: `client.${key}`, problem }
  }
  return undefined
}
