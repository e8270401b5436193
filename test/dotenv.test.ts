// The optional .env file: its variables, none when it is missing, an error
// when it exists but cannot be read.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { readDotenv } from '../src/dotenv.js'
import { tempDir } from './helper.js'

t.test('reads the variables of the file, without an editor\'s byte-order mark', async t => {
  const dir = tempDir(t, 'dotenv')
  const file = join(dir, '.env')
  writeFileSync(file, '\uFEFFMATRIX_SERVER=matrix.example.com:443\n# a comment\nPORT="8081"\n')
  t.same(readDotenv(file), { MATRIX_SERVER: 'matrix.example.com:443', PORT: '8081' })
})

t.test('none when there is no file or none is asked for; an unreadable one throws', async t => {
  const dir = tempDir(t, 'dotenv')
  t.same(readDotenv(false), {})
  t.same(readDotenv(join(dir, 'missing.env')), {})
  mkdirSync(join(dir, 'directory.env'))
  t.throws(() => readDotenv(join(dir, 'directory.env')), { code: 'ENOTREGULAR' })
})
