// The service's logger: JSON lines (pino) with ISO timestamps. Fastify runs
// without a logger of its own: its per-request child loggers and response
// listeners cost about a tenth of our throughput, for request lines that are
// off by default (LOG_REQUESTS).
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from './config.js'

export type { Logger }

export function createLogger (level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ level, timestamp: stdTimeFunctions.isoTime }, destination)
}
