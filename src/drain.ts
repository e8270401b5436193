// Shutting down without cutting anybody off: first tell load balancers to move
// away (/readyz fails, every answer closes its connection), then stop accepting,
// answer what is still arriving on open connections, and close the rest.
import { Server as NetServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** Starts the drain: /readyz answers 503 and every response closes its connection. */
    beginDrain: () => void
    /** Drains for drainMs, stops listening, lets open connections finish, then closes the app. */
    drainAndClose: (drainMs: number) => Promise<void>
  }
}

export interface DrainOptions {
  /** After the listener closes: how long open connections may still bring requests. */
  readonly lingerMs: number
}

/** The response a connection is writing, if any: node:http's own record of it. */
type HttpSocket = Socket & { _httpMessage?: unknown }

/** Adds the drain to the app; returns whether it has begun, for the routes. */
export function addDrain (app: FastifyInstance, options: DrainOptions): () => boolean {
  let draining = false
  // Every open connection, counted once per connection rather than per request.
  const connections = new Set<HttpSocket>()
  app.server.on('connection', (socket: HttpSocket) => {
    connections.add(socket)
    socket.once('close', () => connections.delete(socket))
  })
  // Once the listener is closed, Node no longer enforces the headers timeout: a
  // connection that never sends a whole request (a proxy's spare connection, a
  // port scanner) would hold the process open. At the end of the linger, close
  // every connection that is not writing an answer: idle ones and those.
  const closeUnanswered = () => {
    for (const socket of connections) {
      if (socket._httpMessage == null) socket.destroy()
    }
  }
  const beginDrain = () => { draining = true }
  app.decorate('beginDrain', beginDrain)
  app.decorate('drainAndClose', async (drainMs: number) => {
    beginDrain()
    await sleep(drainMs)
    // http.Server#close (Node >= 19) also closes every connection that is idle
    // at that instant, including ones accepted a moment ago whose request is still
    // in flight: their clients see a reset. Stop accepting at the net level
    // instead; each connection then closes after its answer (we are draining),
    // and only what is still unanswered after the linger is closed for it.
    const stopped = new Promise(resolve => NetServer.prototype.close.call(app.server, resolve))
    const linger = setTimeout(closeUnanswered, options.lingerMs)
    await stopped
    clearTimeout(linger)
    await app.close()
  })
  return () => draining
}
