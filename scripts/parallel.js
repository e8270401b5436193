// npm run static: the type-check and the lint at once (each waits on its own
// files more than on the CPU), each one's output printed whole when it ends.
// Fails when either fails.
import { spawn } from 'node:child_process'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const runs = process.argv.slice(2).map(script => new Promise(resolve => {
  const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  child.stderr.on('data', chunk => { output += chunk })
  child.on('error', err => { output += `${err.message}\n` })
  child.on('close', code => {
    process.stdout.write(`${script}: ${code === 0 ? 'ok' : `failed (${code})`}\n${output}`)
    resolve(code === 0)
  })
}))
const passed = await Promise.all(runs)
process.exitCode = passed.every(Boolean) ? 0 : 1
