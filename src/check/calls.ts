// Calls (Element Call, MatrixRTC): where clients find a focus — the client
// file's org.matrix.msc4143.rtc_foci, which Element Web reads when the
// homeserver does not announce transports itself, or the homeserver's
// rtc/transports, the only place Element Call 0.24 and later look — and
// whether each LiveKit JWT service answers a browser.
import { RTC_FOCI_KEY, rtcFociProblem } from '../client-document.js'
import { isPlainObject, parseJson } from '../validators.js'
import { AS_BROWSER, BROWSER_AGENT, BROWSER_ORIGIN, type CheckContext } from './context.js'
import { fetchFollowingRedirects, preflightAllowed, urlUnder, type Fetched } from './fetch.js'
import type { Step } from './findings.js'

const STEP: Step = 'calls'
// Synapse serves the unstable path behind experimental_features.msc4143_enabled.
const TRANSPORTS_PATHS = ['/_matrix/client/v1/rtc/transports', '/_matrix/client/unstable/org.matrix.msc4143/rtc/transports']
// The token endpoints Element Call calls cross-origin: the legacy one, and the one current versions use.
const TOKEN_PATHS = ['/sfu/get', '/get_token']
const MAX_FOCI_CHECKED = 5
const ENABLE_TRANSPORTS = 'let the homeserver announce its transports (Synapse: experimental_features.msc4143_enabled ' +
  'and matrix_rtc.transports)'

type Transports = 'announced' | 'not announced' | { readonly unknown: string }

export async function checkCalls (context: CheckContext, document: Readonly<Record<string, unknown>>,
  baseUrl: string): Promise<void> {
  const { findings } = context
  const foci = document[RTC_FOCI_KEY]
  const transports = await homeserverTransports(context, baseUrl)
  const problem = foci === undefined ? undefined : rtcFociProblem(foci)
  if (problem !== undefined) {
    findings.add(STEP, 'fail', `"${RTC_FOCI_KEY}" ${problem}: Element Web hands it to Element Call as it is, and calls fail`,
      'publish [{"type": "livekit", "livekit_service_url": "https://…"}] (MATRIX_RTC_LIVEKIT_SERVICE_URL does it here)')
  } else if (foci !== undefined) {
    const livekit = (foci as Array<Record<string, unknown>>).filter(focus => focus.type === 'livekit')
    for (const [index, focus] of livekit.slice(0, MAX_FOCI_CHECKED).entries()) {
      await checkJwtService(context, String(focus.livekit_service_url), index + 1)
    }
    if (livekit.length > MAX_FOCI_CHECKED) findings.add(STEP, 'ok', `and ${livekit.length - MAX_FOCI_CHECKED} more livekit foci, not checked`)
  }
  if (transports === 'announced') {
    findings.add(STEP, 'ok', 'the homeserver announces call transports itself (rtc/transports asks for a token)')
  } else if (transports !== 'not announced') {
    findings.add(STEP, 'warn', `cannot tell whether the homeserver announces call transports: ${transports.unknown}`,
      'let the proxy pass /_matrix/client/ to the homeserver')
  } else if (foci === undefined || problem !== undefined) {
    const inFile = foci === undefined ? `no "${RTC_FOCI_KEY}"` : `no usable "${RTC_FOCI_KEY}"`
    findings.add(STEP, 'fail', `no focus for calls: ${inFile} in the client file, and the homeserver announces no ` +
      'transports (rtc/transports answers 404 M_UNRECOGNIZED): Element Call cannot start calls (MISSING_MATRIX_RTC_FOCUS)',
    `publish your LiveKit JWT service in the client file (MATRIX_RTC_LIVEKIT_SERVICE_URL), and ${ENABLE_TRANSPORTS}`)
  } else {
    findings.add(STEP, 'warn', 'the homeserver announces no call transports (rtc/transports answers 404 M_UNRECOGNIZED): ' +
      'Element Web finds the foci here, but Element Call 0.24 and later ask only the homeserver', ENABLE_TRANSPORTS)
  }
}

/** Whether the homeserver has rtc/transports: asked without a token, it answers 401 if it does, 404 M_UNRECOGNIZED if not. */
async function homeserverTransports (context: CheckContext, baseUrl: string): Promise<Transports> {
  const answers = await Promise.all(TRANSPORTS_PATHS.map(path =>
    fetchFollowingRedirects(context.network, urlUnder(baseUrl, path), { headers: AS_BROWSER })))
  if (answers.some(answer => answer.ok && answer.exchange.status === 401)) return 'announced'
  const unrecognized = (answer: Fetched) => answer.ok && answer.exchange.status === 404 && errcodeOf(answer.exchange.body) === 'M_UNRECOGNIZED'
  if (answers.every(unrecognized)) return 'not announced'
  const first = answers.find(answer => !unrecognized(answer))!
  return { unknown: first.ok ? `${first.url.href} answered ${first.exchange.status}` : first.error }
}

function errcodeOf (body: string): unknown {
  const parsed = parseJson(body)
  return isPlainObject(parsed.value) ? parsed.value.errcode : undefined
}

/** A LiveKit JWT service: over TLS, healthy, and answering the browser's preflight of its token endpoints with CORS. */
async function checkJwtService (context: CheckContext, serviceUrl: string, index: number): Promise<void> {
  const { network, findings } = context
  const which = `JWT service ${index} (${serviceUrl})`
  const health = await fetchFollowingRedirects(network, urlUnder(serviceUrl, '/healthz'), { headers: AS_BROWSER })
  if (!health.ok || health.exchange.status !== 200) {
    const what = health.ok ? `GET /healthz answered ${health.exchange.status}` : health.error
    findings.add(STEP, 'fail', `${which}: ${what}: calls cannot get a token`,
      `run lk-jwt-service at ${serviceUrl} with a valid certificate, or publish the URL it runs at`)
    return
  }
  const preflight = { origin: BROWSER_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'user-agent': BROWSER_AGENT }
  const refusing: string[] = []
  for (const path of TOKEN_PATHS) {
    const answer = await fetchFollowingRedirects(network, urlUnder(serviceUrl, path), { headers: preflight, method: 'OPTIONS' })
    if (!preflightAllowed(answer)) refusing.push(`${path} (${answer.ok ? `${answer.exchange.status}${answer.hops.length > 0 ? ', redirected' : ', no Access-Control-Allow-Origin'}` : answer.error})`)
  }
  const fix = `let the browser's preflight (OPTIONS) of ${TOKEN_PATHS.join(' and ')} through to lk-jwt-service, which answers it with CORS: check the proxy in front of ${serviceUrl}`
  if (refusing.length === TOKEN_PATHS.length) {
    findings.add(STEP, 'fail', `${which} answers a browser's preflight without CORS: ${refusing.join(', ')}: Element Call in a browser cannot get a token`, fix)
  } else if (refusing.length > 0) {
    findings.add(STEP, 'warn', `${which} answers a browser's preflight of ${refusing.join(', ')} without CORS: the Element Call versions that call it cannot get a token`, fix)
  } else {
    findings.add(STEP, 'ok', `${which} is healthy and answers a browser's preflight of ${TOKEN_PATHS.join(' and ')} with CORS`)
  }
}
