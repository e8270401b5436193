// The optional .env file in the working directory: variables the environment
// does not set. Shared by the configuration and the health probe.
import { parseEnv } from 'node:util'
import { readRegularFile } from './regular-file.js'

/** The file's variables; none when it does not exist. Throws on a file that exists but cannot be read. */
export function readDotenv (path: string | false): Record<string, string> {
  if (path === false) return {}
  try {
    // An editor's byte-order mark would otherwise become part of the first name.
    return parseEnv(readRegularFile(path).replace(/^\uFEFF/, '')) as Record<string, string>
  } catch (err) {
    // A missing file is the normal case; an unreadable one is a mistake to report.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
}
