import t from 'tap'
import { createMetrics } from '../src/metrics.js'
import { documentLabel } from '../src/request-metrics.js'
import { EVERYTHING, build } from './helper.js'

t.test('a request is labelled by its document, probe or other: never by a path a client makes up', async t => {
  const cases: Array<[string, string]> = [
    ['/.well-known/matrix/server', 'server'], ['/.well-known/matrix/client?x=1', 'client'],
    ['/.well-known/matrix/policy_server', 'policy_server'], ['/healthz', 'probe'], ['/readyz?a', 'probe'],
    ['/.well-known/matrix/servers', 'other'], [`/${'x'.repeat(100)}`, 'other']
  ]
  for (const [url, label] of cases) t.equal(documentLabel(url), label, url)
})

t.test('with metrics on, every answer is counted', async t => {
  const metrics = createMetrics()
  const counted: Array<[string, number]> = []
  const countRequest = (document: string, status: number) => { counted.push([document, status]) }
  const app = await build(t, EVERYTHING, undefined, { metrics: { ...metrics, countRequest } })
  await app.inject('/.well-known/matrix/client')
  await app.inject({ method: 'OPTIONS', url: '/.well-known/matrix/server' })
  await app.inject('/nowhere')
  await app.inject('/healthz')
  t.same(counted, [['client', 200], ['server', 204], ['other', 404], ['probe', 200]])
})
