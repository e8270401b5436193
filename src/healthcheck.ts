// The container's HEALTHCHECK: distroless images have no shell or curl, so the
// server binary probes itself with `node dist/server.js --healthcheck`.
import { request } from 'node:http'

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
