// The deployment files are part of the product: the manifests must match the
// code (the proxy recipes run for real in test/process/proxies.test.ts).
import { existsSync, readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { parseAllDocuments, parse } from 'yaml'
import { buildApp } from '../src/app.js'
import { EXIT_CODES } from '../src/exit-codes.js'
import { OPTIONS } from '../src/check/command-line.js'
import { parseServerName } from '../src/validators.js'
import { configFrom, PROJECT } from './helper.js'

const deploy = (name: string) => readFileSync(new URL(`deploy/${name}`, PROJECT), 'utf8')

type Manifest = Record<string, any>

t.test('the Kubernetes manifests probe routes that exist, on the port the service listens on', async t => {
  const manifests: Manifest[] = parseAllDocuments(deploy('kubernetes.yaml')).map(document => document.toJS())
  const byKind = (kind: string) => manifests.find(manifest => manifest.kind === kind)!
  t.same(manifests.map(manifest => manifest.kind), ['ConfigMap', 'Deployment', 'Service', 'Ingress', 'HTTPRoute'])

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
  const backend = { name: service.metadata.name, port: { name: service.spec.ports[0].name } }
  t.same(rule.http.paths[0].backend.service, backend)

  const route = byKind('HTTPRoute')
  t.equal(route.apiVersion, 'gateway.networking.k8s.io/v1')
  t.same(route.spec.hostnames, [rule.host], 'the same apex host as the Ingress')
  t.same(route.spec.rules.map((routeRule: Manifest) => routeRule.matches), [[{ path: { type: 'PathPrefix', value: '/.well-known/matrix/' } }]],
    'only /.well-known/matrix/, as the Ingress')
  t.same(route.spec.rules[0].backendRefs, [{ name: service.metadata.name, port: service.spec.ports[0].port }])
  t.ok(route.spec.parentRefs[0].name, 'attached to a Gateway')

  // Metrics: a named port of their own, annotated for scraping, not behind the Service.
  const metricsPort = container.ports.find((port: Manifest) => port.name === 'metrics')
  t.equal(metricsPort.containerPort, config.metricsPort, 'the metrics port is the one the service opens')
  t.same(deployment.spec.template.metadata.annotations, {
    'prometheus.io/scrape': 'true', 'prometheus.io/port': String(config.metricsPort), 'prometheus.io/path': '/metrics'
  })
  t.same(service.spec.ports.map((port: Manifest) => port.targetPort), ['http'], 'the Service exposes the documents only')
})

/** The check's command line as the image runs it: the bundled CLI, `check`, a server name, options it knows. */
function checkArguments (t: Test, args: string[], where: string) {
  const [entry, command, name, ...options] = args
  t.equal(entry, 'dist/cli.js', `${where}: the image's command line`)
  t.ok(existsSync(new URL('dist/bundle/cli.js', PROJECT)), 'which the bundle holds')
  t.equal(command, 'check', where)
  t.equal(parseServerName(name!).problem, undefined, `${where}: a valid server name`)
  for (const option of options) t.ok(option.slice(2) in OPTIONS, `${where}: ${option} is an option of check`)
  t.same(options, ['--json', '--strict'], `${where}: a JSON report, and any failed step fails the run`)
}

t.test('the scheduled checks run the image\'s check command, and their failure is the signal', async t => {
  const image = (parseAllDocuments(deploy('kubernetes.yaml'))[1]!.toJS() as Manifest).spec.template.spec.containers[0].image
  const cronJob: Manifest = parse(deploy('check-cronjob.yaml'))
  t.equal(cronJob.kind, 'CronJob')
  const job = cronJob.spec.jobTemplate.spec
  t.equal(job.backoffLimit, 0, 'a failure is not retried away')
  t.equal(job.template.spec.restartPolicy, 'Never')
  const [container] = job.template.spec.containers
  t.equal(container.image, image, 'the same image as the Deployment')
  checkArguments(t, container.args, 'CronJob')
  t.match(job.template.spec.securityContext, { runAsNonRoot: true, runAsUser: 65532 })
  t.match(container.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })

  const unit = deploy('matrix-well-known-check.service')
  t.match(unit, /^Type=oneshot$/m)
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ')
  t.same(execStart.slice(0, 3), ['/usr/bin/docker', 'run', '--rm'])
  const imageAt = execStart.indexOf(image)
  t.ok(imageAt > 0, 'the same image')
  checkArguments(t, execStart.slice(imageAt + 1), 'systemd unit')
  const timer = deploy('matrix-well-known-check.timer')
  t.match(timer, /^OnUnitActiveSec=15min$/m, 'every 15 minutes, as the CronJob')
  t.equal(cronJob.spec.schedule, '*/15 * * * *')
  t.match(timer, /^WantedBy=timers\.target$/m)
})

t.test('the image runs the bundle as npm start does, with the same node flags', async t => {
  const dockerfile = readFileSync(new URL('Dockerfile', PROJECT), 'utf8')
  const manifest = JSON.parse(readFileSync(new URL('package.json', PROJECT), 'utf8'))
  const [node, ...startArgs] = manifest.scripts.start.split(' ')
  t.equal(node, 'node')
  t.equal(startArgs.at(-1), 'dist/bundle/server.js', 'npm start runs the bundle')
  t.match(dockerfile, /^COPY --from=build \/app\/dist\/bundle \.\/dist$/m, 'the image holds the bundle as dist/')
  const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!)
  t.same(cmd, [...startArgs.slice(0, -1), 'dist/server.js'])
  t.match(dockerfile, /HEALTHCHECK [^\n]*\\\n\s+CMD \["\/nodejs\/bin\/node", "dist\/server\.js", "--healthcheck"\]/)
})

t.test('the image build fills the compile cache with the self-test, as the uid the service runs as', async t => {
  const dockerfile = readFileSync(new URL('Dockerfile', PROJECT), 'utf8')
  const lines = dockerfile.split('\n')
  const at = (pattern: RegExp) => lines.findIndex(line => pattern.test(line))
  const user = at(/^USER 65532:65532$/)
  const cache = at(/^ENV NODE_COMPILE_CACHE=\/app\/compile-cache$/)
  const owned = at(/^COPY --from=build --chown=65532:65532 \/app\/compile-cache \.\/compile-cache$/)
  const selfTest = at(/^RUN \["\/nodejs\/bin\/node", "dist\/server\.js", "--self-test"\]$/)
  t.ok(user > 0 && cache > user && owned > cache && selfTest > owned, 'USER, then the cache directory, then the self-test fills it')
  t.equal(at(/^USER /), user, 'the service and the self-test run as the same uid: Node keeps one cache per uid')
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

t.test('the systemd unit runs node itself with npm start\'s command, reloads with SIGHUP and drains within its stop timeout', async t => {
  const unit = deploy('matrix-well-known.service')
  const manifest = JSON.parse(readFileSync(new URL('package.json', PROJECT), 'utf8'))
  const [, ...startArgs] = manifest.scripts.start.split(' ')
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ')
  t.match(execStart[0], /\/node$/, 'node, not npm, receives the signals')
  t.same(execStart.slice(1), startArgs, 'the command npm start runs')
  t.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m)
  t.match(unit, /^KillSignal=SIGTERM$/m)
  const stopSeconds = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)![1])
  const config = configFrom({ MATRIX_SERVER: 'matrix.example.com:443' })
  t.ok(stopSeconds * 1000 > config.shutdownDrainMs + 5000, 'longer than the default drain and the grace after it')
  t.match(unit, /^RestartPreventExitStatus=78$/m, `a bad setting (exit ${EXIT_CODES.config}) is not restarted`)
  t.match(unit, /^EnvironmentFile=\/etc\/matrix-well-known\.env$/m)
})
