// Step 1: /.well-known/matrix/server, fetched as remote homeservers fetch it —
// from every address of the name, as homeservers and as a browser — and judged
// as they judge it (Matrix spec, server-server API, "Resolving server names").
import type { IncomingHttpHeaders } from 'node:http'
import { privateHostWarning, unreachableHostProblem } from '../federation-host.js'
import { isPlainObject, parseJson, parseServerName } from '../validators.js'
import { BROWSER_AGENT, GO_AGENT, SYNAPSE_AGENT, type CheckContext } from './context.js'
import { fetchFollowingRedirects, notCheckedText, type Fetched, type Hop } from './fetch.js'
import type { Step } from './findings.js'
import { contentType, isJsonType, type Endpoint, type Exchange } from './exchange.js'
import { formatEndpoint } from './network.js'
import { MAX_ADDRESSES_CHECKED } from './server-addresses.js'

const STEP: Step = 'server well-known'
// Synapse's well-known cache period: max-age, else Expires, else 24 h, clamped to 5 min–48 h.
const DEFAULT_CACHE_S = 24 * 3600
const MIN_CACHE_S = 300
const MAX_CACHE_S = 48 * 3600
const FALLBACK = 'until then remote servers fall back to SRV records and port 8448'

/** The delegated server name, when the well-known gives a valid one. */
export async function checkServerWellKnown (context: CheckContext, name: string): Promise<string | undefined> {
  const { network, findings } = context
  const url = new URL(`https://${name}/.well-known/matrix/server`)
  const all = await network.endpoints(name, 443)
  const endpoints = all.slice(0, MAX_ADDRESSES_CHECKED)
  if (all.length > endpoints.length) {
    findings.add(STEP, 'ok', `${name} has ${all.length} addresses: the first ${endpoints.length} are checked, not the other ${all.length - endpoints.length}`)
  }
  if (endpoints.length === 0) {
    findings.addDependingOnFallback(STEP, 'warn', `${name} has no A or AAAA record: remote servers cannot fetch ${url.href}`,
      `publish the address of the web server for ${name}, or delegate with SRV records`)
    return undefined
  }
  const fetch = (agent: Record<string, string>, first: Endpoint) =>
    fetchFollowingRedirects(network, url, { headers: agent, first })
  const [answers, goAnswer, browserAnswer] = await Promise.all([
    Promise.all(endpoints.map(endpoint => fetch({ 'user-agent': SYNAPSE_AGENT }, endpoint))),
    fetch({ 'user-agent': GO_AGENT }, endpoints[0]!),
    fetch({ 'user-agent': BROWSER_AGENT, accept: 'text/html,application/json;q=0.9,*/*;q=0.8' }, endpoints[0]!)
  ])
  const chosen = compareAddresses(context, endpoints, answers)
  compareAgents(context, answers[0]!, goAnswer, browserAnswer)
  const fetched = answers[chosen]!
  reportHops(context, fetched.hops)
  if (!fetched.ok) {
    findings.addDependingOnFallback(STEP, 'warn', fetched.error,
      `make https://${name} answer on port 443 with a valid certificate; ${FALLBACK}`)
    return undefined
  }
  return judgeDocument(context, fetched.exchange, fetched.url, url)
}

function judgeDocument (context: CheckContext, exchange: Exchange, answeredAt: URL, asked: URL): string | undefined {
  const { findings } = context
  const type = contentType(exchange.headers)
  const facts = `${exchange.status}, ${type}, ${exchange.headers['access-control-allow-origin'] === undefined ? 'no CORS' : 'CORS'}`
  if (exchange.status === 404) {
    findings.addDependingOnFallback(STEP, 'ok', `${answeredAt.href} answered 404: not published, so remote servers use SRV records, then port 8448`,
      `publish {"m.server": "<homeserver>:443"} at ${asked.href}`)
    return undefined
  }
  if (exchange.status !== 200) {
    findings.addDependingOnFallback(STEP, 'warn', `${answeredAt.href} answered ${exchange.status}`,
      `serve {"m.server": "<homeserver>:443"} there with status 200; ${FALLBACK}`)
    return undefined
  }
  if (/^text\/html/i.test(type) || /^\s*</.test(exchange.body)) {
    findings.addDependingOnFallback(STEP, 'warn', `${facts}: a web page, not JSON: a catch-all route answers instead of the file`,
      `route /.well-known/matrix/ to the file before the site's catch-all; ${FALLBACK}`)
    return undefined
  }
  const parsed = parseJson(exchange.body)
  const delegated = isPlainObject(parsed.value) ? parsed.value['m.server'] : undefined
  if (parsed.problem !== undefined || typeof delegated !== 'string') {
    findings.addDependingOnFallback(STEP, 'warn', `${facts}; the body ${parsed.problem ?? `has no "m.server" string: ${exchange.body.slice(0, 100)}`}`,
      `serve {"m.server": "<homeserver>:443"} (a trailing comma is a common cause of invalid JSON); ${FALLBACK}`)
    return undefined
  }
  const server = parseServerName(delegated)
  const problem = server.problem ?? unreachableHostProblem(server.value.hostname, server.value.kind)
  if (problem !== undefined) {
    findings.addDependingOnFallback(STEP, 'warn', `${facts}; m.server "${delegated.slice(0, 300)}" ${problem}`, `m.server ${problem}`)
    return undefined
  }
  findings.add(STEP, 'ok', `${facts}; m.server = ${delegated}`)
  const privateHost = privateHostWarning(server.value!.hostname, server.value!.kind)
  if (privateHost !== undefined) findings.add(STEP, 'warn', privateHost, 'delegate to a public address or name, unless the federation is private')
  if (!isJsonType(type)) findings.add(STEP, 'warn', `served as ${type}: resolvers parse it anyway`, 'serve it as application/json')
  cachePeriod(context, exchange.headers)
  return delegated
}

/** Split brain: every address of the name must give the same answer. Returns the answer to go on with. */
function compareAddresses (context: CheckContext, endpoints: readonly Endpoint[], answers: readonly Fetched[]): number {
  const { findings } = context
  const summaries = answers.map(answerSummary)
  const connected = answers.flatMap((answer, index) => answer.ok || answer.connected ? [index] : [])
  if (endpoints.length > 1) {
    for (const [index, answer] of answers.entries()) {
      const address = formatEndpoint(endpoints[index]!)
      if (!answer.ok && answer.notChecked !== undefined) {
        findings.add(STEP, 'ok', notCheckedText(answer.notChecked, answer.error), undefined, address)
      } else if (!answer.ok && !answer.connected && connected.length > 0) {
        findings.add(STEP, 'warn', `refuses the connection (${answer.error}): remote servers move on to another address, after a delay`,
          'make every address of the name answer, or remove this one from DNS', address)
      }
    }
  }
  if (connected.length === 0) return 0
  const counts = new Map<string, number>()
  for (const index of connected) counts.set(summaries[index]!, (counts.get(summaries[index]!) ?? 0) + 1)
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0]
  const chosen = connected.find(index => summaries[index] === majority)!
  if (counts.size > 1) {
    for (const index of connected) {
      if (summaries[index] === majority) continue
      findings.add(STEP, 'fail', `answers ${summaries[index]}, where ${formatEndpoint(endpoints[chosen]!)} answers ${majority}: ` +
        'remote servers get a different delegation depending on the address they pick',
      'serve the same file from every address of the name (check each web server, CDN origin and IPv4/IPv6 listener)',
      formatEndpoint(endpoints[index]!))
    }
  } else if (connected.length > 1) {
    findings.add(STEP, 'ok', `the same answer from each address: ${connected.map(index => formatEndpoint(endpoints[index]!)).join(', ')}`)
  }
  return chosen
}

/** A bot filter or WAF answers homeservers otherwise than browsers. */
function compareAgents (context: CheckContext, synapse: Fetched, go: Fetched, browser: Fetched): void {
  const browserSees = answerSummary(browser)
  const blocked = [{ agent: SYNAPSE_AGENT, answer: synapse }, { agent: GO_AGENT, answer: go }]
    .map(({ agent, answer }) => ({ agent, sees: answerSummary(answer) }))
    .filter(({ sees }) => sees !== browserSees)
  if (blocked.length === 0) {
    context.findings.add(STEP, 'ok', `homeservers (${SYNAPSE_AGENT}, ${GO_AGENT}) and a browser get the same answer`)
    return
  }
  const what = blocked.map(({ agent, sees }) => `${agent} gets ${sees}`).join('; ')
  context.findings.add(STEP, 'fail', `a bot filter or WAF blocks homeservers: ${what}; a browser gets ${browserSees}`,
    'exempt /.well-known/matrix/* and the federation port from the bot filter or WAF ' +
    '(Cloudflare Bot Fight Mode and user-agent rules are the usual cause)')
}

function reportHops (context: CheckContext, hops: readonly Hop[]): void {
  for (const hop of hops) {
    const crossHost = hop.to.host === hop.from.host ? '' : `, another host (${hop.to.host})`
    const note = hop.status === 308 ? '; homeservers follow 308 (only installs on a Twisted older than 22.4 did not)' : ''
    context.findings.add(STEP, 'ok', `${hop.from.href} redirects (${hop.status}) to ${hop.to.href}${crossHost}${note}`)
  }
}

function cachePeriod (context: CheckContext, headers: IncomingHttpHeaders): void {
  const cacheControl = headers['cache-control'] ?? ''
  let seconds = DEFAULT_CACHE_S
  const maxAge = /(?:^|[,\s])max-age=(\d+)/.exec(cacheControl)
  const expires = headers.expires === undefined ? NaN : Date.parse(headers.expires)
  if (/no-store/.test(cacheControl)) seconds = 0
  else if (maxAge !== null) seconds = Number(maxAge[1])
  else if (headers.expires !== undefined) seconds = Number.isNaN(expires) ? 0 : (expires - context.now) / 1000
  const clamped = Math.min(MAX_CACHE_S, Math.max(MIN_CACHE_S, seconds))
  const period = clamped >= 3600 ? `${+(clamped / 3600).toFixed(1)} h` : `${Math.round(clamped / 60)} min`
  if (seconds < MIN_CACHE_S) {
    context.findings.add(STEP, 'warn', `Synapse caches it for ${period} only (${cacheControl || `Expires: ${headers.expires}`}): ` +
      'it refetches often, and a failed refetch is cached as a failure for up to an hour',
    'send Cache-Control: max-age=14400 (4 h), or at least 300')
  } else {
    context.findings.add(STEP, 'ok', `Synapse caches it for ${period}`)
  }
}

/** An answer as a short text, to compare answers and to show them. */
function answerSummary (fetched: Fetched): string {
  if (!fetched.ok) return `an error (${fetched.error})`
  const { status, headers, body } = fetched.exchange
  const parsed = parseJson(body)
  const delegated = isPlainObject(parsed.value) ? parsed.value['m.server'] : undefined
  if (status === 200 && typeof delegated === 'string') return `200 with m.server ${JSON.stringify(delegated.slice(0, 300))}`
  return `${status} ${contentType(headers).split(';')[0]}`
}
