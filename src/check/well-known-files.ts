// What browser clients need of any well-known file they read cross-origin:
// CORS on every redirect hop and on the answer, JSON, and a document the
// service's own validators accept.
import { parseJson, type FieldProblem } from '../validators.js'
import type { CheckContext } from './context.js'
import type { Hop } from './fetch.js'
import type { Step } from './findings.js'
import { contentType, isJsonType, type Exchange } from './exchange.js'

export function reportCorsOnHops (context: CheckContext, step: Step, hops: readonly Hop[]): void {
  for (const hop of hops) {
    if (hop.cors) {
      context.findings.add(step, 'ok', `${hop.from.href} redirects (${hop.status}) to ${hop.to.href}, with CORS`)
    } else {
      context.findings.add(step, 'warn', `${hop.from.href} redirects (${hop.status}) to ${hop.to.href} without Access-Control-Allow-Origin: browsers drop the redirect`,
        'add "Access-Control-Allow-Origin: *" to the redirect (spec v1.20, MSC4402), or serve the file directly')
    }
  }
}

/** A well-known file's content type and CORS, as browser clients need them. */
export function reportDocumentHeaders (context: CheckContext, step: Step, exchange: Exchange): void {
  const type = contentType(exchange.headers)
  if (!isJsonType(type)) context.findings.add(step, 'warn', `served as ${type}`, 'serve it as application/json')
  if (exchange.headers['access-control-allow-origin'] === undefined) {
    context.findings.add(step, 'warn', 'no Access-Control-Allow-Origin header: browser clients such as Element Web cannot read it',
      'add "Access-Control-Allow-Origin: *"')
  }
}

/** A well-known file judged by the validator the service uses for its own: its problem, if any. */
export function judgeFile (exchange: Exchange, validate: (value: unknown) => FieldProblem | undefined) {
  const parsed = parseJson(exchange.body)
  if (exchange.status !== 200) return { parsed, problem: `answered ${exchange.status}` }
  if (parsed.problem !== undefined) return { parsed, problem: `the body ${parsed.problem}` }
  const problem = validate(parsed.value)
  return { parsed, problem: problem === undefined ? undefined : `${problem.field} ${problem.problem}` }
}
