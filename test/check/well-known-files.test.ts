// What browser clients need of a well-known file, judged on answers made here.
import t from 'tap'
import type { CheckContext } from '../../src/check/context.js'
import { Findings } from '../../src/check/findings.js'
import type { Exchange } from '../../src/check/exchange.js'
import { judgeFile, reportCorsOnHops, reportDocumentHeaders } from '../../src/check/well-known-files.js'
import { supportDocumentProblem } from '../../src/validators.js'

const answer = (status: number, body: string, headers: Record<string, string> = {}): Exchange =>
  ({ status, body, headers, tls: { protocol: 'TLSv1.3', untrusted: undefined, nameMismatch: undefined, validTo: new Date(0) } })
const context = (): CheckContext => ({ findings: new Findings(), now: 0 } as unknown as CheckContext)

t.test('a file is judged by the service\'s own validator, after its status and JSON', async t => {
  t.same(judgeFile(answer(200, '{"support_page":"https://example.com/help"}'), supportDocumentProblem).problem, undefined)
  t.equal(judgeFile(answer(503, '{}'), supportDocumentProblem).problem, 'answered 503')
  t.match(judgeFile(answer(200, '{"support_page":'), supportDocumentProblem).problem, /^the body is not valid JSON/)
  t.equal(judgeFile(answer(200, '{}'), supportDocumentProblem).problem, 'support has neither contacts nor support_page')
})

t.test('content type and CORS: ⚠ each, nothing when both are right', async t => {
  const right = context()
  reportDocumentHeaders(right, 'support well-known', answer(200, '{}', { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' }))
  t.same(right.findings.all, [])
  const wrong = context()
  reportDocumentHeaders(wrong, 'support well-known', answer(200, '{}', { 'content-type': 'text/html' }))
  t.match(wrong.findings.all, [
    { level: 'warn', detail: 'served as text/html', fix: 'serve it as application/json' },
    { level: 'warn', detail: /no Access-Control-Allow-Origin header/ }
  ])
})

t.test('each redirect hop: ✓ with CORS, ⚠ without', async t => {
  const hops = context()
  const from = new URL('https://example.com/a')
  const to = new URL('https://www.example.com/a')
  reportCorsOnHops(hops, 'client well-known', [{ status: 301, from, to, cors: true }, { status: 302, from: to, to: from, cors: false }])
  t.match(hops.findings.all, [
    { level: 'ok', detail: 'https://example.com/a redirects (301) to https://www.example.com/a, with CORS' },
    { level: 'warn', detail: /redirects \(302\) .* without Access-Control-Allow-Origin: browsers drop the redirect/, fix: /MSC4402/ }
  ])
})
