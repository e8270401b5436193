// The service's logger: JSON lines (pino) with ISO timestamps. Fastify runs
// without a logger of its own: its per-request child loggers and response
// listeners cost throughput (docs/performance.md), for request lines that are
// off by default (LOG_REQUESTS).
import { pino, stdTimeFunctions, type DestinationStream, type LevelWithSilent, type Logger } from 'pino'

export type { Logger }
export type LogLevel = LevelWithSilent

export function createLogger (level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ level, timestamp: stdTimeFunctions.isoTime }, destination)
}
