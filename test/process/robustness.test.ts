// Hostile and broken clients against the running process, over real sockets:
// thousands of random and mutated requests.
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { get } from '../helper.js'
import { start, type Serving } from './helper.js'

const SEED = 20261128

/** mulberry32: a small seeded generator, so that a failing request reproduces. */
function generator (seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number) => Math.floor(next() * max)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)))
  return { next, int, pick, bytes }
}

type Random = ReturnType<typeof generator>

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'QUERY', 'PROPFIND', 'BREW', 'get', 'G ET', '']
const PATHS = [
  '/.well-known/matrix/server', '/.well-known/matrix/client', '/.well-known/matrix/support', '/healthz', '/readyz',
  '/', '*', '/.well-known/matrix/%73erver', '/.well-known/matrix/%zz', '/.well-known/matrix/server%00', '/%2e%2e/%2e%2e/etc/passwd',
  '/.well-known/matrix/server?%ff=%fe&a[b]=c', '/.well-known//matrix/server', 'http://example.com/.well-known/matrix/server',
  '/.well-known/matrix/server#frag', `/${'a'.repeat(5000)}`, '/.well-known/matrix/\u00e9', '/.well-known/matrix/server/../client'
]
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', 'HTTP/9.9', '']
const HEADERS = ['Host', 'Content-Length', 'Transfer-Encoding', 'If-None-Match', 'Origin', 'X-Forwarded-For', 'Connection', 'Expect', 'Content-Type', 'Cookie', 'X-\u00ff']
const VALUES = ['example.com', '0', '-1', '5', '999999999999', 'chunked', 'gzip, chunked', '*', '"x"', 'keep-alive', 'close', '100-continue',
  'application/json', '', ' leading', 'a\u0000b', '\u00ff\u00fe', '127.0.0.1, 10.0.0.1']

/** One request: a well-formed one mutated in a few random ways, or noise. */
function fuzzRequest (random: Random): { data: Buffer, disconnectEarly: boolean } {
  if (random.next() < 0.05) return { data: random.bytes(1 + random.int(300)), disconnectEarly: false }
  const lines = [`${random.pick(METHODS)} ${random.pick(PATHS)} ${random.pick(VERSIONS)}`]
  if (random.next() < 0.9) lines.push('Host: example.com')
  for (let i = random.int(4); i > 0; i--) {
    const name = random.next() < 0.1 ? random.bytes(1 + random.int(8)).toString('latin1') : random.pick(HEADERS)
    lines.push(`${name}: ${random.next() < 0.1 ? random.bytes(random.int(40)).toString('latin1') : random.pick(VALUES)}`)
  }
  let body = ''
  if (random.next() < 0.2) body = random.next() < 0.5 ? '5\r\nhello\r\n0\r\n\r\n' : 'x'.repeat(random.int(3000))
  const separator = random.next() < 0.05 ? '\n' : '\r\n'
  let text = `${lines.join(separator)}${separator}${separator}${body}`
  if (random.next() < 0.1) text += text // pipelined twice
  if (random.next() < 0.05) text = text.replace(/\r\n/, '\r\n\r\n') // headers cut short
  return { data: Buffer.from(text, 'latin1'), disconnectEarly: random.next() < 0.1 }
}

interface Exchange { status: 'answered' | 'closed' | 'gave-up', statuses: number[], malformed?: string }

/**
 * Sends one fuzzed request, half-closes, and reads until the server closes: it
 * answers what it read, then ends the connection (a safety timer gives up after
 * 5 s, which no request should need).
 */
async function exchange (port: number, data: Buffer, disconnectEarly: boolean): Promise<Exchange> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  if (disconnectEarly) {
    socket.write(data.subarray(0, Math.max(1, data.length >> 1)))
    socket.destroy()
    return { status: 'closed', statuses: [] }
  }
  socket.end(data)
  const chunks: Buffer[] = []
  const ended = await new Promise<boolean>(resolve => {
    const safety = setTimeout(() => resolve(false), 5000)
    socket.on('data', chunk => chunks.push(chunk))
    socket.on('close', () => { clearTimeout(safety); resolve(true) })
  })
  socket.destroy()
  const text = Buffer.concat(chunks).toString('latin1')
  if (text === '') return { status: ended ? 'closed' : 'gave-up', statuses: [] }
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/g)].map(match => Number(match[1]))
  const malformed = text.startsWith('HTTP/1.1 ') && statuses.length > 0 ? undefined : text.slice(0, 80)
  return { status: 'answered', statuses, malformed }
}

function rssMb (server: Serving): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

async function stillServes (t: Test, server: Serving) {
  const response = await get(`${server.url}/.well-known/matrix/server`)
  t.equal(response.status, 200, 'the process keeps serving')
  t.equal(response.body, '{"m.server":"matrix.example.com:443"}')
}

t.test('thousands of random and mutated requests: well-formed non-5xx answers or clean closes', async t => {
  const server = await start(t, { MATRIX_SERVER: 'matrix.example.com:443' })
  const random = generator(SEED)
  const tally = { sent: 0, answered: 0, closed: 0, gaveUp: 0, responses: 0 }
  const byStatus = new Map<number, number>()
  const problems: string[] = []
  const rss: number[] = []

  const BATCHES = 3
  const PER_BATCH = 1000
  const PARALLEL = 50
  for (let batch = 0; batch < BATCHES; batch++) {
    const requests = Array.from({ length: PER_BATCH }, () => fuzzRequest(random))
    for (let i = 0; i < requests.length; i += PARALLEL) {
      const results = await Promise.all(requests.slice(i, i + PARALLEL).map(({ data, disconnectEarly }) =>
        exchange(server.port, data, disconnectEarly).then(result => ({ result, data }))))
      for (const { result, data } of results) {
        tally.sent++
        if (result.status === 'answered') tally.answered++
        else if (result.status === 'closed') tally.closed++
        else tally.gaveUp++
        tally.responses += result.statuses.length
        for (const status of result.statuses) byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
        const serverError = result.statuses.find(status => status >= 500)
        if (result.malformed !== undefined || serverError !== undefined) {
          problems.push(`${JSON.stringify(data.toString('latin1').slice(0, 120))} -> ${serverError ?? result.malformed}`)
        }
      }
    }
    global.gc?.()
    await sleep(200)
    rss.push(rssMb(server))
  }

  t.comment(`fuzz: ${JSON.stringify(tally)}; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}; RSS after each batch ${rss.map(mb => mb.toFixed(1)).join(', ')} MB`)
  t.same(problems, [], 'no malformed answer and no 5xx')
  t.equal(tally.sent, BATCHES * PER_BATCH)
  t.ok(tally.responses > PER_BATCH, 'most requests got an answer')
  t.ok(rss.at(-1)! - rss[0]! < 25, `memory settles (${rss[0]!.toFixed(1)} → ${rss.at(-1)!.toFixed(1)} MB)`)
  await stillServes(t, server)
})
