// The deployment files are part of the product: the manifests must match the
// code (the proxy recipes run for real in test/process/proxies.test.ts).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseAllDocuments, parse } from 'yaml'
import { buildApp } from '../src/app.js'
import { configFrom } from './helper.js'

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
