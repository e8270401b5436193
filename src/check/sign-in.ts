// Sign-in: since spec v1.15 clients ask the homeserver's
// /_matrix/client/v1/auth_metadata where to sign in. A homeserver with password
// login alone answers 404 M_UNRECOGNIZED; one with an OAuth server (Matrix
// Authentication Service) answers its metadata, which web clients read
// cross-origin, before they call its token endpoint cross-origin too.
import { httpsUrlProblem, isPlainObject, parseJson } from '../validators.js'
import { AS_BROWSER, BROWSER_AGENT, BROWSER_ORIGIN, type CheckContext } from './context.js'
import { fetchFollowingRedirects, urlUnder } from './fetch.js'
import type { Step } from './findings.js'

const STEP: Step = 'sign-in'
const ENDPOINTS = ['issuer', 'authorization_endpoint', 'token_endpoint'] as const

export async function checkSignIn (context: CheckContext, baseUrl: string): Promise<void> {
  const { network, findings } = context
  const url = urlUnder(baseUrl, '/_matrix/client/v1/auth_metadata')
  const fetched = await fetchFollowingRedirects(network, url, { headers: AS_BROWSER })
  const route = `let the proxy in front of the homeserver pass ${url.pathname} to it`
  if (!fetched.ok) {
    findings.add(STEP, 'fail', `${fetched.error}: clients cannot tell how to sign in`, route)
    return
  }
  const { exchange } = fetched
  const parsed = parseJson(exchange.body)
  const metadata = isPlainObject(parsed.value) ? parsed.value : {}
  if (exchange.status === 404) {
    if (metadata.errcode === 'M_UNRECOGNIZED') findings.add(STEP, 'ok', 'password login: the homeserver has no OAuth server (auth_metadata answers 404 M_UNRECOGNIZED)')
    else findings.add(STEP, 'warn', `${url.href} answered 404 without M_UNRECOGNIZED: it may not reach the homeserver, and clients then offer password login only`, route)
    return
  }
  if (exchange.status !== 200) {
    findings.add(STEP, 'fail', `${url.href} answered ${exchange.status}: clients cannot tell how to sign in`, route)
    return
  }
  const webClients = 'web clients such as Element Web cannot sign in'
  let failed = false
  if (exchange.headers['access-control-allow-origin'] === undefined) {
    failed = true
    findings.add(STEP, 'fail', `${url.href} has no Access-Control-Allow-Origin header: ${webClients}`, 'let the homeserver send its CORS headers: check the proxy in front of it')
  }
  for (const field of ENDPOINTS) {
    const value = metadata[field]
    const problem = typeof value === 'string' ? httpsUrlProblem(value) : 'is missing or not a string'
    if (problem !== undefined) {
      findings.add(STEP, 'fail', `the sign-in metadata's ${field} ${problem}: clients cannot sign in`,
        'configure the OAuth server (Matrix Authentication Service: http.public_base) with its public https URL')
      return
    }
  }
  const tokenEndpoint = new URL(metadata.token_endpoint as string)
  const preflight = await fetchFollowingRedirects(network, tokenEndpoint,
    { headers: { origin: BROWSER_ORIGIN, 'access-control-request-method': 'POST', 'user-agent': BROWSER_AGENT }, method: 'OPTIONS' })
  if (!preflight.ok || preflight.exchange.status >= 300 || preflight.exchange.headers['access-control-allow-origin'] === undefined) {
    const what = preflight.ok ? `answered ${preflight.exchange.status} without Access-Control-Allow-Origin` : preflight.error
    failed = true
    findings.add(STEP, 'fail', `the token endpoint's preflight (OPTIONS ${tokenEndpoint.href}) ${what}: ${webClients}`,
      `let the browser's preflight through to the OAuth server, which answers it with CORS: check the proxy in front of ${tokenEndpoint.host}`)
  }
  // A browser navigation: any answer will do, over TLS with a valid certificate.
  const authorizationEndpoint = new URL(metadata.authorization_endpoint as string)
  const authorization = await fetchFollowingRedirects(network, authorizationEndpoint, { headers: AS_BROWSER })
  if (!authorization.ok) {
    findings.add(STEP, 'fail', `the authorization server does not answer: ${authorization.error}: clients cannot sign in`,
      'serve the OAuth server over https with a valid certificate at the URL its metadata gives')
    return
  }
  const protocol = authorization.exchange.tls.protocol
  findings.add(STEP, 'ok', failed
    ? `the authorization server of ${String(metadata.issuer)} answers over ${protocol}`
    : `sign-in through the OAuth server ${String(metadata.issuer)} (spec v1.15), which answers over ${protocol}`)
}
