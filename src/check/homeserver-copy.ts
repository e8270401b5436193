// The homeserver's own client file, where it publishes one: admins copy it to
// the apex by hand and forget to update the copy, which then lacks the foci or
// points at an old URL. What clients act on must be the same in both.
import { RTC_FOCI_KEY } from '../client-document.js'
import { isPlainObject, parseJson } from '../validators.js'
import { AS_BROWSER, type CheckContext } from './context.js'
import { fetchFollowingRedirects } from './fetch.js'
import { canonicalJson } from './keys.js'

const STEP = 'client well-known'

type ClientFile = Readonly<Record<string, unknown>>

/** What two copies must agree on, as text to compare and to show. */
function whatClientsActOn (document: ClientFile): Record<string, string> {
  const homeserver = isPlainObject(document['m.homeserver']) ? document['m.homeserver'].base_url : undefined
  return {
    'm.homeserver.base_url': typeof homeserver === 'string' ? homeserver.replace(/\/+$/, '') : 'nothing',
    [RTC_FOCI_KEY]: document[RTC_FOCI_KEY] === undefined ? 'nothing' : canonicalJson(document[RTC_FOCI_KEY])
  }
}

/** Compares the apex's client file with the one on base_url's host, when that is another host and has one. */
export async function compareWithHomeserverCopy (context: CheckContext, apex: ClientFile, apexUrl: URL,
  baseUrl: string): Promise<void> {
  const url = new URL('/.well-known/matrix/client', baseUrl)
  if (url.host === apexUrl.host) return
  const fetched = await fetchFollowingRedirects(context.network, url, { headers: AS_BROWSER })
  // Unreachable, or no copy of its own: nothing to compare (the homeserver's reachability is judged by /versions).
  if (!fetched.ok || fetched.exchange.status !== 200) return
  const parsed = parseJson(fetched.exchange.body)
  if (!isPlainObject(parsed.value)) return
  const ours = whatClientsActOn(apex)
  const theirs = whatClientsActOn(parsed.value)
  const differences = Object.keys(ours).filter(key => ours[key] !== theirs[key])
  if (differences.length === 0) {
    context.findings.add(STEP, 'ok', `the same m.homeserver and foci as the homeserver's own copy at ${url.href}`)
    return
  }
  const what = differences.map(key => `${key} is ${String(ours[key]).slice(0, 200)} here and ${String(theirs[key]).slice(0, 200)} there`).join('; ')
  context.findings.add(STEP, 'warn', `the apex copy is stale: ${what} (${url.href})`,
    `publish the same values on the apex as the homeserver does (MATRIX_CLIENT_BASE_URL, MATRIX_RTC_LIVEKIT_SERVICE_URL), or copy ${url.href} again`)
}
