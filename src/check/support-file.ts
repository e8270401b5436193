// The support well-known (spec v1.10), when there is one: validated as the
// service validates its own, with CORS for browser clients.
import { supportDocumentProblem } from '../validators.js'
import { AS_BROWSER, type CheckContext } from './context.js'
import { fetchFollowingRedirects } from './fetch.js'
import { judgeFile, reportCorsOnHops, reportDocumentHeaders } from './well-known-files.js'

const STEP = 'support well-known'

export async function checkSupportFile (context: CheckContext, hostname: string): Promise<void> {
  const { network, findings } = context
  const fetched = await fetchFollowingRedirects(network, new URL(`https://${hostname}/.well-known/matrix/support`), { headers: AS_BROWSER })
  reportCorsOnHops(context, STEP, fetched.hops)
  if (!fetched.ok) {
    findings.add(STEP, 'warn', fetched.error, 'make the file answer, or answer 404 when there is none')
    return
  }
  const { exchange } = fetched
  if (exchange.status === 404) {
    findings.add(STEP, 'ok', 'not published')
    return
  }
  const { problem } = judgeFile(exchange, supportDocumentProblem)
  if (problem !== undefined) {
    findings.add(STEP, 'warn', problem,
      'serve {"contacts": [{"role": "m.role.admin", "email_address": "…"}]} or {"support_page": "https://…"} with status 200, or 404')
    return
  }
  findings.add(STEP, 'ok', `${exchange.status}, a valid support document`)
  reportDocumentHeaders(context, STEP, exchange)
}
