// npm run bench: our server as shipped against a raw node:http reference that
// sends byte-identical responses, loaded alternately (A B A B …) in one run.
// A script, not a test: numbers mean something only next to their reference.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PATH = '/.well-known/matrix/server'
// Exactly what `npm start` runs (the image runs the same, with the same flags).
const OURS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ')
  .map(word => word === 'node' ? process.execPath : word)
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '64,256').split(',').map(Number)
// Many short rounds: on a shared virtual machine the speed of the whole machine
// drifts by ±20% over seconds, and a median over many pairs shrugs that off.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const STARTS = Number(process.env.BENCH_STARTS ?? 11)
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 10000)
const METRICS = process.env.BENCH_METRICS !== '0'
const SERVER_ENV = { MATRIX_SERVER: 'matrix.example.com:443', ...parseExtraEnv(process.env.BENCH_ENV) }

function parseExtraEnv (text) {
  return Object.fromEntries((text ?? '').split(/\s+/).filter(Boolean).map(pair => pair.split(/=(.*)/s).slice(0, 2)))
}

const has = command => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
// Server on one core, load generator on the other, as on the 2-core machines we ship for.
const pin = (core, argv) => has('taskset') ? ['taskset', '-c', String(core), ...argv] : argv
const useWrk = has('wrk')

async function freePort () {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  return port
}

/** Sends one GET over a fresh socket and returns the raw response bytes. */
async function rawGet (port, host = 'example.com') {
  const socket = connect(port, '127.0.0.1')
  socket.end(`GET ${PATH} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  const chunks = []
  for await (const chunk of socket) chunks.push(chunk)
  return Buffer.concat(chunks).toString('latin1')
}

function parseResponse (raw) {
  const [head, body] = raw.split('\r\n\r\n')
  const [statusLine, ...lines] = head.split('\r\n')
  const headers = lines.map(line => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])
  return { statusCode: Number(statusLine.split(' ')[1]), headers, body }
}

/** Starts a server process and returns it once a GET answers 200, with the time that took. */
async function start (name, argv, env, host) {
  const port = await freePort()
  const started = process.hrtime.bigint()
  const child = spawn(pin(1, argv)[0], pin(1, argv).slice(1), {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  for (;;) {
    try {
      if (parseResponse(await rawGet(port, host)).statusCode === 200) break
    } catch {}
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    await sleep(2)
  }
  const startupMs = Number(process.hrtime.bigint() - started) / 1e6
  return { name, child, port, startupMs }
}

function rssMb (pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]) / 1024
}

function toMs (text) {
  const value = parseFloat(text)
  if (text.endsWith('us')) return value / 1000
  if (text.endsWith('ms')) return value
  return value * 1000
}

async function load (port, connections, seconds, script) {
  const url = `http://127.0.0.1:${port}${PATH}`
  if (useWrk) {
    const argv = pin(0, ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url])
    const child = spawn(argv[0], argv.slice(1))
    let out = ''
    child.stdout.on('data', chunk => { out += chunk })
    await once(child, 'close')
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
    if (non2xx !== null) throw new Error(`load got ${non2xx[1]} error responses`)
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
      p50: toMs(/ 50%\s+(\S+)/.exec(out)[1]),
      p99: toMs(/ 99%\s+(\S+)/.exec(out)[1])
    }
  }
  const argv = pin(0, [process.execPath, `${ROOT}node_modules/autocannon/autocannon.js`, '-j',
    '-c', String(connections), '-d', String(seconds), url])
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', chunk => { out += chunk })
  await once(child, 'close')
  const result = JSON.parse(out)
  if (result.non2xx > 0) throw new Error(`load got ${result.non2xx} error responses`)
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
}

const median = values => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const fixed = (value, digits = 2) => value.toFixed(digits)

/**
 * Time from spawn to the first 200 over several cold starts, alternating A B A B:
 * the median of each, and the median of the per-pair ratios first/second.
 */
async function startupMs (candidates) {
  const times = new Map(candidates.map(({ name }) => [name, []]))
  for (let round = 0; round < STARTS; round++) {
    for (const { name, argv, env, host } of candidates) {
      const server = await start(name, argv, env, host)
      times.get(name).push(server.startupMs)
      server.child.kill('SIGKILL')
      await once(server.child, 'exit')
    }
  }
  const [first, second] = [...times.values()]
  return {
    medians: new Map([...times].map(([name, samples]) => [name, median(samples)])),
    ratio: median(first.map((sample, index) => sample / second[index]))
  }
}

/**
 * A cross-check immune to the machine's drift: both servers loaded at once,
 * sharing one core, so whatever slows the machine slows both alike and the
 * ratio of their throughputs is the ratio of their costs per request.
 */
async function sameTimeRatio (servers, connections) {
  const ratios = []
  for (let round = 0; round < ROUNDS; round++) {
    const [ours, reference] = await Promise.all(servers.map(server => load(server.port, connections, SECONDS)))
    ratios.push(ours.rps / reference.rps)
  }
  return median(ratios)
}

async function main () {
  const ours = await start('ours', OURS, SERVER_ENV)
  const captured = parseResponse(await rawGet(ours.port))
  // Date changes every second and Connection/Keep-Alive are written by node:http
  // itself, for both servers alike; every other byte comes from our response.
  const keepAlive = captured.headers.find(([name]) => name === 'Keep-Alive')?.[1]
  const headers = captured.headers.filter(([name]) => !['Date', 'Connection', 'Keep-Alive'].includes(name)).flat()
  const response = JSON.stringify({ statusCode: captured.statusCode, headers, body: Buffer.from(captured.body, 'latin1').toString('base64') })
  const reference = await start('reference', [process.execPath, 'bench/reference.js'], {
    BENCH_RESPONSE: response,
    BENCH_KEEP_ALIVE: keepAlive
  })

  const startups = await startupMs([
    { name: 'ours', argv: OURS, env: SERVER_ENV },
    { name: 'reference', argv: [process.execPath, 'bench/reference.js'], env: { BENCH_RESPONSE: response, BENCH_KEEP_ALIVE: keepAlive } }
  ])
  ours.startupMs = startups.medians.get('ours')
  reference.startupMs = startups.medians.get('reference')

  const strip = raw => raw.replace(/\r\nDate: [^\r]*/, '')
  const identical = strip(await rawGet(ours.port)) === strip(await rawGet(reference.port))
  if (!identical) throw new Error('the reference does not answer byte for byte as we do')

  const servers = [ours, reference]
  for (const server of servers) server.idleRssMb = rssMb(server.child.pid, 'VmRSS')

  console.log(`bench: load generator ${useWrk ? 'wrk' : 'autocannon'}, ${ROUNDS} rounds of ${SECONDS} s, ${STARTS} cold starts each, ` +
    `connections ${CONNECTIONS.join(' and ')}, responses byte-identical: ${identical}`)
  console.log(`bench: our environment: ${Object.entries(SERVER_ENV).map(pair => pair.join('=')).join(' ')}`)

  const rows = []
  for (const connections of CONNECTIONS) {
    // Warm up the JIT, and each server's first burst of new connections.
    for (const server of servers) await load(server.port, connections, 2)
    const samples = { ours: [], reference: [] }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse()
      for (const server of order) samples[server.name].push(await load(server.port, connections, SECONDS))
    }
    const pairs = samples.ours.map((sample, index) => ({ ours: sample, reference: samples.reference[index] }))
    rows.push({
      connections,
      ours: summarise(samples.ours),
      reference: summarise(samples.reference),
      throughputRatio: median(pairs.map(pair => pair.ours.rps / pair.reference.rps)),
      p99Ratio: median(pairs.map(pair => pair.ours.p99 / pair.reference.p99))
    })
  }
  for (const server of servers) server.peakRssMb = rssMb(server.child.pid, 'VmHWM')
  for (const row of rows) row.sameTimeRatio = await sameTimeRatio(servers, row.connections)

  console.log('')
  console.log('| server | conns | req/s | p50 ms | p99 ms | idle RSS MB | peak RSS MB | start-up ms | ratio req/s | ratio p99 |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    for (const server of servers) {
      const stats = row[server.name]
      const ratios = server === ours ? `${fixed(row.throughputRatio)} | ${fixed(row.p99Ratio)}` : '1.00 | 1.00'
      console.log(`| ${server.name} | ${row.connections} | ${fixed(stats.rps, 0)} | ${fixed(stats.p50)} | ${fixed(stats.p99)} | ` +
        `${fixed(server.idleRssMb, 1)} | ${fixed(server.peakRssMb, 1)} | ${fixed(server.startupMs, 0)} | ${ratios} |`)
    }
  }
  console.log('')
  console.log(`bench: same-time cross-check, both loaded at once on one core: throughput ratio ${rows.map(row => `${fixed(row.sameTimeRatio)} at ${row.connections}`).join(', ')}`)

  for (const server of servers) server.child.kill('SIGTERM')
  await Promise.all(servers.map(server => server.child.exitCode === null ? once(server.child, 'exit') : undefined))

  if (DOMAINS > 0) await domainsRun()
  if (METRICS) await metricsRun()

  const throughputRatio = Math.min(...rows.map(row => row.throughputRatio))
  const p99Ratio = Math.max(...rows.map(row => row.p99Ratio))
  console.log(`bench: throughput_ratio=${fixed(throughputRatio)} p99_ratio=${fixed(p99Ratio)} ` +
    `startup_ratio=${fixed(startups.ratio)} rss_idle_mb=${fixed(ours.idleRssMb, 1)} ` +
    `rss_peak_mb=${fixed(ours.peakRssMb, 1)}`)
}

/**
 * Many-domains mode: a file of DOMAINS hosts against single-domain mode, both
 * loaded with requests whose Host header walks through all the hosts.
 */
async function domainsRun () {
  if (!useWrk) {
    console.log('bench-domains: skipped, it needs wrk to spread requests over many Host headers')
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-domains-'))
  const file = join(dir, 'domains.json')
  writeFileSync(file, JSON.stringify(Object.fromEntries(Array.from({ length: DOMAINS }, (_, i) =>
    [`d${i}.example.com`, { server: `matrix.d${i}.example.com:443`, client: { 'm.homeserver': { base_url: `https://matrix.d${i}.example.com` } } }]))))
  const script = join(dir, 'hosts.lua')
  writeFileSync(script, `local i = 0\nrequest = function()\n  i = (i + 1) % ${DOMAINS}\n  return wrk.format(nil, nil, { ["Host"] = "d" .. i .. ".example.com" })\nend\n`)

  const candidates = [
    { name: 'domains', argv: OURS, env: { MATRIX_DOMAINS_FILE: file }, host: `d${DOMAINS - 1}.example.com` },
    { name: 'single', argv: OURS, env: SERVER_ENV }
  ]
  const startups = await startupMs(candidates)
  const servers = []
  for (const { name, argv, env, host } of candidates) {
    const server = await start(name, argv, env, host)
    server.idleRssMb = rssMb(server.child.pid, 'VmRSS')
    servers.push(server)
  }
  for (const server of servers) await load(server.port, 64, 2, script)
  const ratios = []
  for (let round = 0; round < ROUNDS; round++) {
    const results = {}
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) results[server.name] = await load(server.port, 64, SECONDS, script)
    ratios.push(results.domains.rps / results.single.rps)
  }
  for (const server of servers) server.child.kill('SIGTERM')
  await Promise.all(servers.map(server => once(server.child, 'exit')))
  const [domains, single] = servers
  console.log(`bench-domains: domains=${DOMAINS} file_kb=${(statSync(file).size / 1024).toFixed(0)} ` +
    `startup_ms=${fixed(startups.medians.get('domains'), 0)} (single ${fixed(startups.medians.get('single'), 0)}) ` +
    `rss_idle_mb=${fixed(domains.idleRssMb, 1)} (single ${fixed(single.idleRssMb, 1)}) ` +
    `throughput_ratio_vs_single=${fixed(median(ratios))} at 64 connections, requests spread over every host`)
}

/** Server CPU time (user + system) of a process so far, in milliseconds. */
function cpuMs (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10 // clock ticks of 10 ms
}

/**
 * Metrics on (METRICS_PORT) against metrics off, same server, alternating
 * rounds at 64 connections: what counting every request costs, as requests/s
 * and as server CPU time per request.
 */
async function metricsRun () {
  const candidates = [
    { name: 'metrics', argv: OURS, env: { ...SERVER_ENV, METRICS_PORT: String(await freePort()) } },
    { name: 'plain', argv: OURS, env: SERVER_ENV }
  ]
  const servers = []
  for (const { name, argv, env } of candidates) servers.push(await start(name, argv, env))
  for (const server of servers) await load(server.port, 64, 2)
  const rpsRatios = []
  const cpuRatios = []
  for (let round = 0; round < ROUNDS; round++) {
    const results = {}
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      const before = cpuMs(server.child.pid)
      const sample = await load(server.port, 64, SECONDS)
      results[server.name] = { rps: sample.rps, cpuPerRequest: (cpuMs(server.child.pid) - before) / (sample.rps * SECONDS) }
    }
    rpsRatios.push(results.metrics.rps / results.plain.rps)
    cpuRatios.push(results.metrics.cpuPerRequest / results.plain.cpuPerRequest)
  }
  for (const server of servers) server.child.kill('SIGTERM')
  await Promise.all(servers.map(server => once(server.child, 'exit')))
  console.log(`bench-metrics: throughput_ratio_vs_off=${fixed(median(rpsRatios))} cpu_per_request_ratio_vs_off=${fixed(median(cpuRatios))} ` +
    'at 64 connections, METRICS_PORT set against unset')
}

function summarise (samples) {
  return { rps: median(samples.map(s => s.rps)), p50: median(samples.map(s => s.p50)), p99: median(samples.map(s => s.p99)) }
}

await main()
