// npm run build: one esbuild pass per output, no type-checking (that is
// `npm run typecheck`, which npm test also runs). `--bundle` builds only
// dist/bundle/, as the image does.
// - build/: src/ and test/ compiled file by file, with source maps, in the same
//   tree as the checkout. The tests run from here (tap starts plain JavaScript
//   in a fraction of the time a TypeScript loader takes per file), and spawned
//   servers run build/src/server.js, whose source maps give coverage of src/.
// - dist/bundle/: the server, the check command and the domains worker bundled
//   with their dependencies: what `npm start`, the package's `bin` and the image
//   run. Resolving and reading some 300 module files was most of our start-up
//   time; one bundle parses in a fraction of it (docs/performance.md).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const COMPILED = join(ROOT, 'build')
const BUNDLE = join(ROOT, 'dist/bundle')
const bundleOnly = process.argv.includes('--bundle')
// Files removed from src/ or test/, and chunks named by an old hash, must not linger.
rmSync(BUNDLE, { recursive: true, force: true })

/** @param {string} dir */
const typescriptIn = dir => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
  .filter(name => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .map(name => join(ROOT, dir, name))

/** @type {import('esbuild').BuildOptions} */
const NODE = { platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning' }

if (!bundleOnly) {
  rmSync(COMPILED, { recursive: true, force: true })
  await build({
    ...NODE,
    entryPoints: [...typescriptIn('src'), ...typescriptIn('test')],
    outbase: ROOT,
    outdir: COMPILED,
    sourcemap: 'linked'
  })
}

const { metafile } = await build({
  ...NODE,
  // The domains worker is an entry of its own, at the same place relative to
  // server.js as in src/ and build/src/: server.js starts it from there.
  entryPoints: {
    server: join(ROOT, 'src/server.ts'),
    cli: join(ROOT, 'src/check/cli.ts'),
    'domains/worker': join(ROOT, 'src/domains/worker.ts')
  },
  bundle: true,
  // server.js imports Fastify only when it serves, so the container's health
  // probe still starts without it.
  splitting: true,
  outdir: BUNDLE,
  chunkNames: 'chunks/[name]-[hash]',
  // Most dependencies are CommonJS and require() Node's built-in modules.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  metafile: true
})

// The bundle ships without node_modules: carry each package's licence with it.
const packages = new Map()
for (const input of Object.keys(metafile?.inputs ?? {})) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
  if (match !== null) packages.set(match[1], undefined)
}
const notices = [...packages.keys()].sort().map(dir => {
  const manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'))
  const licenseFile = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE']
    .map(name => join(ROOT, dir, name))
    .find(path => existsSync(path))
  const text = licenseFile === undefined ? `License: ${manifest.license}` : readFileSync(licenseFile, 'utf8').trim()
  return `${manifest.name}@${manifest.version} (${manifest.license})\n\n${text}\n`
})
writeFileSync(join(BUNDLE, 'THIRD-PARTY-NOTICES'), notices.join(`\n${'-'.repeat(72)}\n\n`))
// Node treats .js as ESM only below a package.json that says so.
writeFileSync(join(BUNDLE, 'package.json'), JSON.stringify({ type: 'module' }) + '\n')
console.log(`build: ${bundleOnly ? '' : 'build/ (src and test, file by file); '}dist/bundle/, ${Object.keys(metafile?.outputs ?? {}).length} files from our code and ${packages.size} packages`)
