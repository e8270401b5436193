// npm test's first step: tap's Test class built with the plugins .taprc names.
// After an install tap has its default plugins built in; its runner rebuilds
// them when .taprc names others, but only after it has chosen the loaders it
// starts the run's test files with, so the first run after `npm ci` loaded a
// TypeScript loader and module mocks into every test file, and broke. This
// builds them beforehand, only when they differ (tap build takes seconds).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

// @tapjs/test and @tapjs/core import each other; core has to come first.
await import('@tapjs/core')
const { signature } = await import('@tapjs/test')
const { TapConfig } = await import('@tapjs/config')
const config = await TapConfig.load()

if (signature !== config.pluginSignature) {
  const { status } = spawnSync('node_modules/.bin/tap', ['build'], { cwd: ROOT, stdio: 'inherit' })
  process.exitCode = status ?? 1
}
