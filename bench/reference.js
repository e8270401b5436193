// The yardstick: raw node:http answering every request with bytes captured from
// a real response of ours (status, headers, body), so the comparison measures
// what Fastify and our code add, and stays honest as our headers change.
import { createServer } from 'node:http'

const { statusCode, headers, body } = JSON.parse(process.env.BENCH_RESPONSE ?? '{}')
const payload = Buffer.from(body, 'base64')

const server = createServer((request, response) => {
  response.writeHead(statusCode, headers)
  response.end(payload)
})
// Node writes Keep-Alive itself: give it the same idle timeout as ours.
const keepAliveSeconds = /timeout=(\d+)/.exec(process.env.BENCH_KEEP_ALIVE ?? '')?.[1]
if (keepAliveSeconds !== undefined) server.keepAliveTimeout = Number(keepAliveSeconds) * 1000
server.listen(Number(process.env.PORT), process.env.HOST)
