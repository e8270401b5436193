// Reading a configuration file (.env, the domains file) without ever blocking:
// a FIFO, a device or a directory put in its place would hang a plain read for
// good, SIGTERM included. The file is opened without blocking and read only if
// it is a regular file.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'

export function readRegularFile (path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    if (!fstatSync(fd).isFile()) {
      throw Object.assign(new Error('not a regular file (a FIFO, device or directory cannot be read safely)'), { code: 'ENOTREGULAR' })
    }
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}
