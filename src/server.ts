// The production entry point, and the only module that touches the process:
// it reads the environment, listens, handles signals and sets the exit code.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { LoadedConfig } from './config.js'
import { EXIT_CODES } from './exit-codes.js'

const HEALTHCHECK_TIMEOUT_MS = 3000 // below Docker's default 30 s health-check timeout
// Beyond the drain window: time for open connections to finish before a forced exit.
const CLOSE_GRACE_MS = 5000
// After the drain: how long the last lines may take to reach a slow log driver.
const LOG_FLUSH_MS = 500
const RELOAD_SIGNALS: Array<'SIGHUP' | 'SIGUSR2'> = ['SIGHUP', 'SIGUSR2']

// Node opens its inspector on 127.0.0.1:9229 when SIGUSR1 arrives and nothing
// listens for it: never in production (Node 20 has no --disable-sigusr1).
// Until the logger is ready the signal is only swallowed; the logging listener
// is added before this one is removed, so that there is always one.
/* c8 ignore next -- a SIGUSR1 in the milliseconds before the logger exists; the test sends it once the service serves */
const swallowInspectorSignal = (): void => {}

async function readConfig (): Promise<LoadedConfig | undefined> {
  const [{ ConfigError, domainsFileSetting, loadConfig }, { yamlParserFor }] = await Promise.all([import('./config.js'), import('./domains/file.js')])
  const parseYaml = await yamlParserFor(domainsFileSetting(process.env, '.env'))
  try {
    return loadConfig(process.env, { dotenvPath: '.env', parseYaml })
  } catch (err) {
    /* c8 ignore next -- loadConfig throws nothing else: anything else is a bug, to crash with its stack */
    if (!(err instanceof ConfigError)) throw err
    for (const problem of err.problems) process.stderr.write(`matrix-well-known: invalid configuration: ${problem}\n`)
    process.exitCode = EXIT_CODES.config
    return undefined
  }
}

async function serve (loaded: LoadedConfig): Promise<void> {
  // Loaded here so that the container's health probe, which runs this file
  // every 30 s, starts without Fastify or the configuration's schema.
  const [
    { buildApp }, { createLogger }, { createLogDestination }, { default: closeWithGrace },
    { startReloader }, { workerLoader }
  ] = await Promise.all([
    import('./app.js'), import('./logger.js'), import('./log-destination.js'), import('close-with-grace'), import('./domains/reloader.js'),
    import('./domains/loader.js')
  ])
  const { config, warnings } = loaded
  const destination = createLogDestination()
  const log = createLogger(config.logLevel, destination)
  // prom-client is loaded only when metrics are on.
  const metrics = config.metricsPort === undefined ? undefined : (await import('./metrics.js')).createMetrics()
  const app = await buildApp(config, { log, metrics })
  for (const warning of warnings) log.warn(warning)
  if (config.domainsFile !== undefined) metrics?.setHosts(config.domainsFile.hosts.size)
  // From process.getBuiltinModule for the reason fixed-answers.ts gives.
  const metricsServer = metrics === undefined ? undefined : process.getBuiltinModule('node:http').createServer(metrics.handle)

  // Multi-domain mode: changes to the file reload it.
  const reloader = config.domainsFile === undefined
    ? undefined
    : startReloader({
      initial: config.domainsFile,
      apply: hosts => app.replaceHosts(hosts),
      // Beside this file, in dist/ and in the bundle alike.
      load: workerLoader(new URL('./domains/worker.js', import.meta.url)),
      log,
      checkEveryMs: config.domainsFileCheckMs,
      onOutcome: metrics?.countReload
    })
  process.on('SIGUSR1', () => log.info({ signal: 'SIGUSR1' }, 'SIGUSR1 ignored: the inspector stays closed'))
  process.off('SIGUSR1', swallowInspectorSignal)
  // Admins send SIGHUP (and some tools SIGUSR2) to reload, never to stop: a
  // supervisor with Restart=on-failure would leave a service stopped by it down.
  for (const signal of RELOAD_SIGNALS) {
    process.on(signal, () => {
      if (reloader !== undefined) reloader.reload(signal)
      else log.info({ signal }, 'nothing to reload: the environment is read at start-up only; restart to apply a change')
    })
  }

  closeWithGrace({
    delay: config.shutdownDrainMs + CLOSE_GRACE_MS,
    logger: { error: (message: unknown) => log.error(message) },
    skip: RELOAD_SIGNALS
  }, async ({ signal, err }) => {
    if (err !== undefined) log.error({ err }, 'unexpected error, shutting down')
    else log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down')
    reloader?.close()
    metricsServer?.close()
    metricsServer?.closeAllConnections()
    await app.drainAndClose(config.shutdownDrainMs)
    log.info({ droppedLogLines: destination.dropped }, 'stopped')
    await destination.flush(LOG_FLUSH_MS)
  })

  try {
    const address = await app.listen({ host: config.host, port: config.port })
    const serving = config.domainsFile === undefined
      ? { documents: config.documents }
      : { domainsFile: config.domainsFile.file, hosts: config.domainsFile.hosts.size }
    // With HOST=0.0.0.0 Fastify's address is a loopback URL; host says what is bound.
    log.info({ host: config.host, address, ...serving, cacheMaxAge: config.cacheMaxAge }, 'serving')
  } catch (err) {
    log.error({ err }, `cannot listen on ${config.host}:${config.port}`)
    process.exit(EXIT_CODES.failure)
  }
  if (metricsServer !== undefined) {
    try {
      metricsServer.listen(config.metricsPort, config.host)
      await once(metricsServer, 'listening')
      log.info({ host: config.host, port: (metricsServer.address() as AddressInfo).port, path: '/metrics' }, 'metrics')
    } catch (err) {
      log.error({ err }, `cannot listen for metrics on ${config.host}:${String(config.metricsPort)}`)
      process.exit(EXIT_CODES.failure)
    }
  }
}

if (process.argv.includes('--healthcheck')) {
  // Every 30 s in the container: it reads where the service listens and nothing
  // else, so that neither a large domains file nor a refused reload (the
  // service still serves the last good set) makes the container unhealthy.
  const { probeAddressFrom, probeHealth } = await import('./healthcheck.js')
  const address = probeAddressFrom(process.env, '.env')
  if ('problem' in address) {
    process.stderr.write(`matrix-well-known: --healthcheck: ${address.problem}\n`)
    process.exitCode = EXIT_CODES.failure
  } else {
    const healthy = await probeHealth(address.host, address.port, HEALTHCHECK_TIMEOUT_MS)
    process.exitCode = healthy ? EXIT_CODES.ok : EXIT_CODES.failure
  }
} else if (process.argv.includes('--self-test')) {
  const { runSelfTest } = await import('./self-test.js')
  process.exitCode = await runSelfTest(process.stdout, process.stderr)
} else {
  process.on('SIGUSR1', swallowInspectorSignal)
  const loaded = await readConfig()
  if (loaded !== undefined) await serve(loaded)
}
