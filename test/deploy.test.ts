// The deployment files are part of the product: the manifests must match the
// code, and the proxy recipes must pass our answers through untouched.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { parseAllDocuments, parse } from 'yaml'
import { buildApp } from '../src/app.js'
import { EVERYTHING, configFrom } from './helper.js'
import { freePort, start } from './process-helper.js'

const deploy = (name: string) => readFileSync(new URL(`../deploy/${name}`, import.meta.url), 'utf8')

type Manifest = Record<string, any>

t.test('the Kubernetes manifests probe routes that exist, on the port the service listens on', async t => {
  const manifests: Manifest[] = parseAllDocuments(deploy('kubernetes.yaml')).map(document => document.toJS())
  const byKind = (kind: string) => manifests.find(manifest => manifest.kind === kind)!
  t.same(manifests.map(manifest => manifest.kind), ['ConfigMap', 'Deployment', 'Service', 'Ingress'])

  const deployment = byKind('Deployment')
  t.equal(deployment.spec.replicas, 2)
  const pod = deployment.spec.template.spec
  const [container] = pod.containers
  const env = Object.fromEntries(container.env.map(({ name, value }: Manifest) => [name, value]))
  const settings = byKind('ConfigMap').data
  const config = configFrom({ ...settings, ...env })
  t.equal(container.ports[0].containerPort, config.port, 'the container port is the port the service listens on')
  t.equal(config.host, '::', 'listens on every interface')

  const app = await buildApp(config)
  t.teardown(() => app.close())
  t.equal(container.livenessProbe.httpGet.path, '/healthz')
  t.equal(container.readinessProbe.httpGet.path, '/readyz')
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    t.equal(probe.httpGet.port, container.ports[0].name)
    t.equal((await app.inject(probe.httpGet.path)).statusCode, 200, `${probe.httpGet.path} answers`)
  }
  t.ok(pod.terminationGracePeriodSeconds * 1000 > config.shutdownDrainMs + 1000, 'the grace period outlasts the drain')
  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532 })
  t.match(container.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
  t.ok(container.resources.requests.memory && container.resources.limits.memory)

  const service = byKind('Service')
  t.same(service.spec.selector, deployment.spec.selector.matchLabels)
  t.equal(service.spec.ports[0].targetPort, container.ports[0].name)

  const ingress = byKind('Ingress')
  const [rule] = ingress.spec.rules
  t.same(rule.http.paths.map((path: Manifest) => [path.path, path.pathType]), [['/.well-known/matrix/', 'Prefix']],
    'only /.well-known/matrix/ of the apex host')
  t.same(rule.http.paths[0].backend.service, { name: service.metadata.name, port: { name: service.spec.ports[0].name } })
})

t.test('the image runs the bundle as npm start does, with the same node flags', async t => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const [node, ...startArgs] = manifest.scripts.start.split(' ')
  t.equal(node, 'node')
  t.equal(startArgs.at(-1), 'dist/bundle/server.js', 'npm start runs the bundle')
  t.match(dockerfile, /^COPY --from=build \/app\/dist\/bundle \.\/dist$/m, 'the image holds the bundle as dist/')
  const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!)
  t.same(cmd, [...startArgs.slice(0, -1), 'dist/server.js'])
  t.match(dockerfile, /HEALTHCHECK [^\n]*\\\n\s+CMD \["\/nodejs\/bin\/node", "dist\/server\.js", "--healthcheck"\]/)
})

t.test('compose runs the image read-only, without capabilities, on loopback', async t => {
  const compose: Manifest = parse(deploy('compose.yaml'))
  const service = compose.services['matrix-well-known']
  t.equal(service.read_only, true)
  t.same(service.cap_drop, ['ALL'])
  t.same(service.ports, ['127.0.0.1:8080:8080'])
  t.equal(service.environment.PORT, '8080')
  t.match(service.env_file, /\.env$/)
})

function has (command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

/** Skips where the proxy is not installed, except in CI, which installs it. */
function needs (t: Test, command: string): boolean {
  if (has(command)) return true
  if (process.env.CI !== undefined) t.fail(`${command} is not installed: .ci/run installs it`)
  else t.plan(0, `${command} is not installed (apt-get install nginx-light caddy)`)
  return false
}

async function waitFor (url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      await fetch(url)
      return
    } catch {
      await sleep(25)
    }
  }
  throw new Error(`nothing answers at ${url}`)
}

async function compareThroughProxy (t: Test, proxyPort: number, servicePort: number) {
  for (const path of ['/.well-known/matrix/server', '/.well-known/matrix/client', '/.well-known/matrix/support', '/.well-known/matrix/nothing']) {
    const direct = await fetch(`http://127.0.0.1:${servicePort}${path}`, { headers: { host: 'example.com' } })
    const proxied = await fetch(`http://127.0.0.1:${proxyPort}${path}`, { headers: { host: 'example.com' } })
    t.equal(proxied.status, direct.status, `${path}: same status`)
    t.equal(await proxied.text(), await direct.text(), `${path}: byte-identical body`)
    // fetch joins repeated headers with ", ": a lone "*" means the header came once.
    t.equal(proxied.headers.get('access-control-allow-origin'), '*', `${path}: exactly one Access-Control-Allow-Origin`)
    t.equal(proxied.headers.get('cache-control'), direct.headers.get('cache-control'), `${path}: our Cache-Control`)
    t.equal(proxied.headers.get('content-type'), 'application/json')
    t.equal(proxied.headers.get('etag'), direct.headers.get('etag'))
  }
  const preflight = await fetch(`http://127.0.0.1:${proxyPort}/.well-known/matrix/client`, { method: 'OPTIONS' })
  t.equal(preflight.status, 204)
  t.equal(preflight.headers.get('access-control-allow-origin'), '*')
}

t.test('the nginx recipe passes the documents through unchanged', async t => {
  if (!needs(t, 'nginx')) return
  const service = await start(t, EVERYTHING)
  const dir = mkdtempSync(join(tmpdir(), 'wk-nginx-'))
  const port = await freePort()
  const location = deploy('nginx.conf').replace('127.0.0.1:8080', `127.0.0.1:${service.port}`)
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    server_name example.com;
    ${location}
  }
}`)
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'inherit' })
  t.teardown(() => { nginx.kill() })
  await waitFor(`http://127.0.0.1:${port}/`)
  await compareThroughProxy(t, port, service.port)
})

t.test('the Caddy recipe passes the documents through unchanged', async t => {
  if (!needs(t, 'caddy')) return
  const service = await start(t, EVERYTHING)
  const dir = mkdtempSync(join(tmpdir(), 'wk-caddy-'))
  const port = await freePort()
  const site = deploy('Caddyfile')
    .replace('example.com {', `http://example.com:${port}, http://127.0.0.1:${port} {`)
    .replace('127.0.0.1:8080', `127.0.0.1:${service.port}`)
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n\tlog {\n\t\tlevel ERROR\n\t}\n}\n${site}`)
  const caddy = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  t.teardown(() => { caddy.kill() })
  await waitFor(`http://127.0.0.1:${port}/.well-known/matrix/server`)
  await compareThroughProxy(t, port, service.port)
})
