// Reading a configuration file without ever blocking: only a regular file is read.
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { readRegularFile } from '../src/regular-file.js'
import { tempDir } from './helper.js'

t.test('reads a regular file, through a symlink too', async t => {
  const dir = tempDir(t, 'regular')
  writeFileSync(join(dir, 'file.json'), '{"é":1}')
  symlinkSync('file.json', join(dir, 'link.json'))
  t.equal(readRegularFile(join(dir, 'file.json')), '{"é":1}')
  t.equal(readRegularFile(join(dir, 'link.json')), '{"é":1}')
})

t.test('refuses a FIFO at once instead of waiting for a writer, and a directory or device', async t => {
  const dir = tempDir(t, 'regular')
  execFileSync('mkfifo', [join(dir, 'fifo')])
  mkdirSync(join(dir, 'directory'))
  for (const path of [join(dir, 'fifo'), join(dir, 'directory'), '/dev/null']) {
    t.throws(() => readRegularFile(path), { code: 'ENOTREGULAR', message: /^not a regular file/ }, path)
  }
  t.throws(() => readRegularFile(join(dir, 'missing')), { code: 'ENOENT' })
})
