// npm run build, second step: bundles the compiled server and check command with
// their dependencies into dist/bundle/, what `npm start` and the image run.
// Resolving and reading some 300 module files was most of our start-up time;
// one bundle parses in a fraction of it (docs/performance.md). Tests start
// the per-file dist/ for coverage and check that the bundle answers alike.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT = join(ROOT, 'dist/bundle')
// Chunk names carry a hash: without a clean start, old ones would be packed and shipped.
rmSync(OUT, { recursive: true, force: true })

const { metafile } = await build({
  // The domains worker is an entry of its own: server.js starts it from beside itself.
  entryPoints: [join(ROOT, 'dist/server.js'), join(ROOT, 'dist/cli.js'), join(ROOT, 'dist/domains-worker.js')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // server.js imports Fastify only when it serves, so the container's health
  // probe still starts without it.
  splitting: true,
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  // Most dependencies are CommonJS and require() Node's built-in modules.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning'
})

// The bundle ships without node_modules: carry each package's licence with it.
const packages = new Map()
for (const input of Object.keys(metafile.inputs)) {
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
writeFileSync(join(OUT, 'THIRD-PARTY-NOTICES'), notices.join(`\n${'-'.repeat(72)}\n\n`))
// Node treats .js as ESM only below a package.json that says so.
writeFileSync(join(OUT, 'package.json'), JSON.stringify({ type: 'module' }) + '\n')
console.log(`bundle: dist/bundle/, ${Object.keys(metafile.outputs).length} files from our code and ${packages.size} packages`)
