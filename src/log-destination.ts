// Where the service's log lines go: standard output, without ever letting it
// hold up an answer. Node writes to a pipe synchronously on Linux, and pino's
// own destination retries a failed write until it succeeds: a stalled log driver
// or a full disk would then freeze the service, SIGTERM included. Here a line
// that cannot be written now is dropped and counted, the queue is bounded, and
// the count is logged once writing works again.
import { fstatSync, writeSync } from 'node:fs'
import { Socket } from 'node:net'

export interface LogDestination {
  write: (line: string) => void
  /** Resolves once every queued line is written, or after timeoutMs: shutdown never waits longer. */
  flush: (timeoutMs: number) => Promise<void>
  /** Lines dropped so far. */
  readonly dropped: number
}

// Thousands of request lines: far more than a healthy log driver ever lags behind.
const MAX_QUEUED_BYTES = 1024 * 1024

/** The line that reports dropped lines, in the shape of the service's other log lines. */
function droppedLine (count: number): string {
  return `${JSON.stringify({ level: 40, time: new Date().toISOString(), dropped: count, msg: 'log lines dropped: the log destination did not take them in time' })}\n`
}

export function createLogDestination (fd = 1, maxQueuedBytes = MAX_QUEUED_BYTES): LogDestination {
  let stream = false
  try {
    const stats = fstatSync(fd)
    stream = stats.isFIFO() || stats.isSocket()
  } catch {
    // A closed standard output: every write fails, and is counted.
  }
  return stream ? streamDestination(fd, maxQueuedBytes) : fileDestination(text => writeSync(fd, text))
}

/** Pipes and sockets (a container's log driver): written asynchronously, queue bounded. */
function streamDestination (fd: number, maxQueuedBytes: number): LogDestination {
  const socket = new Socket({ fd, readable: false, writable: true })
  // Shutdown decides when the process ends (after flush), not a pending write.
  socket.unref()
  let dropped = 0
  let unreported = 0
  let broken = false
  // A reader that went away (EPIPE) takes nothing more; the service goes on.
  socket.on('error', () => { broken = true })
  socket.on('drain', () => {
    if (unreported === 0) return
    socket.write(droppedLine(unreported))
    unreported = 0
  })
  return {
    write (line) {
      if (broken || socket.writableLength + line.length > maxQueuedBytes) {
        dropped++
        unreported++
        return
      }
      socket.write(line)
    },
    async flush (timeoutMs) {
      if (broken || socket.writableLength === 0) return
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, timeoutMs)
        // Called once everything written before it has gone out.
        socket.write(Buffer.alloc(0), () => { clearTimeout(timer); resolve() })
      })
    },
    get dropped () { return dropped }
  }
}

/** Files, terminals and devices: a write either succeeds at once or fails (ENOSPC, EAGAIN…) and the line is dropped. */
export function fileDestination (writeText: (text: string) => void): LogDestination {
  let dropped = 0
  let unreported = 0
  const attempt = (text: string): boolean => {
    try {
      writeText(text)
      return true
    } catch {
      return false
    }
  }
  return {
    write (line) {
      if (unreported > 0 && attempt(droppedLine(unreported))) unreported = 0
      if (attempt(line)) return
      dropped++
      unreported++
    },
    async flush () {},
    get dropped () { return dropped }
  }
}
