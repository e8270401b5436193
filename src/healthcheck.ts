// The container's HEALTHCHECK: distroless images have no shell or curl, so the
// server binary probes itself with `node dist/server.js --healthcheck`.
import { readDotenv } from './dotenv.js'
import { LISTEN_DEFAULTS } from './listen-defaults.js'

// From process.getBuiltinModule for the reason fixed-answers.ts gives: the probe runs every 30 s.
const { request } = process.getBuiltinModule('node:http')

/**
 * Where the running service listens, from HOST and PORT alone (the environment,
 * then .env, then the defaults): the one thing the probe needs. A value the
 * service would have refused cannot be where it listens, so the default stands
 * in; PORT=0, a port the system chose at start-up, cannot be known here.
 */
export function probeAddressFrom (env: Readonly<Record<string, string | undefined>>,
  dotenvPath: string | false): { host: string, port: number } | { problem: string } {
  let dotenv: Record<string, string> = {}
  try {
    dotenv = readDotenv(dotenvPath)
  } catch {
    // The service read it at start-up; a file broken since then says nothing about where it listens.
  }
  const host = env.HOST ?? dotenv.HOST ?? LISTEN_DEFAULTS.host
  const portText = env.PORT ?? dotenv.PORT ?? ''
  if (/^0+$/.test(portText)) {
    return { problem: 'PORT=0 lets the system choose the port at start-up, which this probe cannot know: set PORT to a fixed port to probe it' }
  }
  const port = /^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535 ? Number(portText) : LISTEN_DEFAULTS.port
  return { host, port }
}

/** Where a local probe must connect when the server listens on every interface. */
export function probeAddress (listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1'
  if (listenHost === '::') return '::1'
  return listenHost
}

/** Resolves true when GET /healthz answers 200 within the timeout. */
export function probeHealth (host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const probe = request({ host: probeAddress(host), port, path: '/healthz', timeout: timeoutMs }, response => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    probe.on('timeout', () => probe.destroy(new Error('timed out')))
    probe.on('error', () => resolve(false))
    probe.end()
  })
}
