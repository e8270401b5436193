// npm run test:unit: every in-process test (all of build/test but process/),
// without coverage, for a quick answer while working. Each test file is a node
// program that tap's runner would start with module hooks for coverage and
// process tracking; here each is started directly, one more at once than
// there are cores (some files wait on timers and sockets), with V8's
// optimising compiler off (short runs spend more on compiling than they gain).
// npm test runs the same files, and the rest, through tap with coverage.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TESTS = join(ROOT, 'build/test')
const TIMEOUT_MS = 120_000 // tap's own limit per file (.taprc)
const started = Date.now()

const files = readdirSync(TESTS, { recursive: true, encoding: 'utf8' })
  .filter(file => file.endsWith('.test.js') && !file.startsWith('process/'))
  .sort()

/**
 * Runs one test file; resolves with its TAP output, exit code and assertion count.
 * @param {string} file
 * @returns {Promise<{ file: string, code: number | null, output: string, total: number }>}
 */
function runFile (file) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--no-opt', '--enable-source-maps', join(TESTS, file)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', chunk => { output += chunk })
    child.stderr.on('data', chunk => { output += chunk })
    const timer = setTimeout(() => {
      output += `\n# test:unit: killed after ${TIMEOUT_MS / 1000} s\n`
      child.kill('SIGKILL')
    }, TIMEOUT_MS)
    child.on('close', code => {
      clearTimeout(timer)
      const total = Number(/^# \{ total: (\d+)/m.exec(output)?.[1] ?? 0)
      resolve({ file, code, output, total })
    })
  })
}

const queue = [...files]
/** @type {Array<{ file: string, code: number | null, output: string, total: number }>} */
const results = []
await Promise.all(Array.from({ length: availableParallelism() + 1 }, async () => {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await runFile(file))
}))

const failed = results.filter(result => result.code !== 0)
for (const { file, output } of failed) process.stdout.write(`\n# ${file} failed:\n${output}`)
const assertions = results.reduce((sum, result) => sum + result.total, 0)
const seconds = ((Date.now() - started) / 1000).toFixed(1)
process.stdout.write(`test:unit: ${files.length} files, ${assertions} assertions, ${failed.length === 0 ? 'all passed' : `${failed.length} files failed`} in ${seconds} s\n`)
process.exitCode = failed.length === 0 ? 0 : 1
