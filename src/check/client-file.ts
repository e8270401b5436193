// The client well-known, as a browser client reads it: every redirect hop and
// the answer with CORS, the document validated as the service validates its
// own, the CORS preflight; then what clients do with it: the homeserver it
// points to, the homeserver's own copy, calls and sign-in; and the apex's TLS.
import { clientBaseProblem, clientKeyProblem, OBSOLETE_CLIENT_KEYS, TILE_SERVER_KEYS } from '../client-document.js'
import { isPlainObject, parseJson } from '../validators.js'
import { checkApexTls } from './apex-tls.js'
import { checkCalls } from './calls.js'
import { AS_BROWSER, BROWSER_AGENT, BROWSER_ORIGIN, type CheckContext } from './context.js'
import { fetchFollowingRedirects, preflightAllowed, urlUnder } from './fetch.js'
import type { Step } from './findings.js'
import { compareWithHomeserverCopy } from './homeserver-copy.js'
import { checkSignIn } from './sign-in.js'
import { judgeFile, reportCorsOnHops, reportDocumentHeaders } from './well-known-files.js'

const STEP: Step = 'client well-known'

export async function checkClientFile (context: CheckContext, hostname: string): Promise<void> {
  await Promise.all([readClientFile(context, hostname), checkApexTls(context, hostname)])
}

async function readClientFile (context: CheckContext, hostname: string): Promise<void> {
  const { network, findings } = context
  const fetched = await fetchFollowingRedirects(network, new URL(`https://${hostname}/.well-known/matrix/client`), { headers: AS_BROWSER })
  reportCorsOnHops(context, STEP, fetched.hops)
  if (!fetched.ok) {
    // No web server at all for the name: clients ask for the homeserver URL, as when there is no file.
    findings.add(STEP, fetched.connected ? 'fail' : 'warn', fetched.error,
      `make https://${hostname}/.well-known/matrix/client answer, or answer 404 when there is none`)
    return
  }
  const { exchange, url } = fetched
  if (exchange.status === 404) {
    findings.add(STEP, 'ok', 'not published: clients will ask their users for the homeserver URL')
    return
  }
  const { parsed, problem } = judgeFile(exchange, clientBaseProblem)
  if (problem !== undefined) {
    findings.add(STEP, 'fail', problem, 'serve {"m.homeserver": {"base_url": "https://…"}} with status 200, or 404 when there is none')
    return
  }
  const document = parsed.value as { 'm.homeserver': { base_url: string } } & Record<string, unknown>
  const baseUrl = document['m.homeserver'].base_url
  findings.add(STEP, 'ok', `${exchange.status}, m.homeserver.base_url = ${baseUrl}`)
  reportDocumentHeaders(context, STEP, exchange)
  reportKeys(context, document)
  // Calls and sign-in are steps of their own; this step's findings come in a fixed order.
  const elsewhere = Promise.all([checkCalls(context, document, baseUrl), checkSignIn(context, baseUrl)])
  await checkPreflight(context, url)
  await checkClientVersions(context, baseUrl)
  await compareWithHomeserverCopy(context, document, url, baseUrl)
  await elsewhere
}

/** Keys no client reads any more, and the tile server in the shape clients read. */
function reportKeys (context: CheckContext, document: Record<string, unknown>): void {
  for (const key of Object.keys(document).filter(key => Object.hasOwn(OBSOLETE_CLIENT_KEYS, key))) {
    context.findings.add(STEP, 'warn', `"${key}" is obsolete: ${OBSOLETE_CLIENT_KEYS[key]}`, `remove "${key}"`)
  }
  for (const key of TILE_SERVER_KEYS.filter(key => Object.hasOwn(document, key))) {
    const problem = clientKeyProblem(key, document[key])
    if (problem !== undefined) {
      context.findings.add(STEP, 'warn', `"${key}" ${problem}: clients cannot show maps`,
        `publish {"map_style_url": "https://…"} as "${key}", or remove it`)
    }
  }
}

async function checkPreflight (context: CheckContext, url: URL): Promise<void> {
  const headers = { origin: BROWSER_ORIGIN, 'access-control-request-method': 'GET', 'user-agent': BROWSER_AGENT }
  const fetched = await fetchFollowingRedirects(context.network, url, { headers, method: 'OPTIONS' })
  if (preflightAllowed(fetched)) return
  const what = !fetched.ok
    ? fetched.error
    : fetched.hops.length > 0 ? 'is redirected' : `answered ${fetched.exchange.status} without Access-Control-Allow-Origin`
  context.findings.add(STEP, 'warn', `the CORS preflight (OPTIONS) ${what}`,
    'answer OPTIONS with 204 or 200 and "Access-Control-Allow-Origin: *", without a redirect')
}

async function checkClientVersions (context: CheckContext, baseUrl: string): Promise<void> {
  const { findings } = context
  const url = urlUnder(baseUrl, '/_matrix/client/versions')
  const fetched = await fetchFollowingRedirects(context.network, url, { headers: AS_BROWSER })
  const parsed = fetched.ok ? parseJson(fetched.exchange.body) : undefined
  const versions = isPlainObject(parsed?.value) ? parsed.value : undefined
  if (!fetched.ok || fetched.exchange.status !== 200 || !Array.isArray(versions?.versions)) {
    findings.add(STEP, 'fail', `${url.href} ${fetched.ok ? `answered ${fetched.exchange.status} without a list of versions` : `failed: ${fetched.error}`}`,
      `point m.homeserver.base_url at the homeserver's client API (${baseUrl} must answer /_matrix/client/versions)`)
    return
  }
  findings.add(STEP, 'ok', `${url.href} answers: ${versions.versions.slice(-1).join('')}${versions.versions.length > 1 ? ' and older' : ''}`)
  if (fetched.exchange.headers['access-control-allow-origin'] === undefined) {
    findings.add(STEP, 'warn', `${url.href} has no Access-Control-Allow-Origin header: browser clients cannot use the homeserver`,
      'let the homeserver send its CORS headers: check the proxy in front of it')
  }
  const features = isPlainObject(versions.unstable_features) ? versions.unstable_features : {}
  if (features['org.matrix.simplified_msc3575'] !== true) {
    findings.add(STEP, 'warn', 'the homeserver does not advertise simplified sliding sync (org.matrix.simplified_msc3575): Element X will not log in to this server',
      'upgrade the homeserver (Synapse 1.114 or newer supports it)')
  }
}
