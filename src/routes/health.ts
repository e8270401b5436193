// Probes for Docker and Kubernetes, outside /.well-known so that no proxy rule
// for the documents exposes them.
import type { FastifyInstance } from 'fastify'
import { FIXED_ANSWERS } from '../fixed-answers.js'
import { sendPrepared } from '../wire.js'

export interface HealthOptions {
  readonly isDraining: () => boolean
}

export async function healthRoutes (app: FastifyInstance, options: HealthOptions): Promise<void> {
  // Liveness: the process answers, whatever else is going on.
  app.get('/healthz', { config: { quiet: true } }, (request, reply) => sendPrepared(reply, FIXED_ANSWERS.healthy))

  // Readiness: fails as soon as shutdown begins, so load balancers stop sending
  // new connections while the ones already open are still answered.
  app.get('/readyz', { config: { quiet: true } }, (request, reply) =>
    sendPrepared(reply, options.isDraining() ? FIXED_ANSWERS.draining : FIXED_ANSWERS.healthy))
}
