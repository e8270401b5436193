// The proxy recipes in deploy/, run for real in front of the started service:
// our answers must come through untouched, and in multi-domain mode each host
// must get its own, whatever X-Forwarded-Host a client sends.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { EVERYTHING, get, PROJECT, tempDir, until, unusedPort } from '../helper.js'
import { start } from './helper.js'

const deploy = (name: string) => readFileSync(new URL(`deploy/${name}`, PROJECT), 'utf8')

function has (command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

/** Skips where the proxy is not installed, except in CI, which installs it. */
function needs (t: Test, command: string): boolean {
  if (has(command)) return true
  if (process.env.CI !== undefined) t.fail(`${command} is not installed: .ci/run installs it`)
  else t.plan(0, `${command} is not installed (apt-get install nginx-light caddy apache2 haproxy)`)
  return false
}

const answers = (url: string) => () => get(url).then(() => true, () => false)

async function compareThroughProxy (t: Test, proxyPort: number, servicePort: number) {
  for (const path of ['/.well-known/matrix/server', '/.well-known/matrix/client', '/.well-known/matrix/support', '/.well-known/matrix/nothing']) {
    const direct = await get(`http://127.0.0.1:${servicePort}${path}`, { headers: { host: 'example.com' } })
    const proxied = await get(`http://127.0.0.1:${proxyPort}${path}`, { headers: { host: 'example.com' } })
    t.equal(proxied.status, direct.status, `${path}: same status`)
    t.equal(proxied.body, direct.body, `${path}: byte-identical body`)
    // node:http joins repeated headers with ", ": a lone "*" means the header came once.
    t.equal(proxied.headers['access-control-allow-origin'], '*', `${path}: exactly one Access-Control-Allow-Origin`)
    t.equal(proxied.headers['cache-control'], direct.headers['cache-control'], `${path}: our Cache-Control`)
    t.equal(proxied.headers['content-type'], 'application/json')
    t.equal(proxied.headers.etag, direct.headers.etag)
  }
  const preflight = await get(`http://127.0.0.1:${proxyPort}/.well-known/matrix/client`, { method: 'OPTIONS' })
  t.equal(preflight.status, 204)
  t.equal(preflight.headers['access-control-allow-origin'], '*')
}

type Proxy = (t: Test, servicePort: number, dir: string, port: number) => Promise<void>

/** nginx with the recipe's location block in a server block of its own. */
const nginx: Proxy = async (t, servicePort, dir, port) => {
  const location = deploy('nginx.conf').replace('127.0.0.1:8080', `127.0.0.1:${servicePort}`)
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr crit;
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
  const proxy = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'inherit' })
  t.teardown(() => { proxy.kill() })
}

/** Caddy with the recipe's site block, for any host on a loopback port. */
const caddy: Proxy = async (t, servicePort, dir, port) => {
  const site = deploy('Caddyfile')
    .replace('example.com {', `http://:${port} {`)
    .replace('127.0.0.1:8080', `127.0.0.1:${servicePort}`)
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n\tlog {\n\t\tlevel ERROR\n\t}\n}\n${site}`)
  const proxy = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  t.teardown(() => { proxy.kill() })
}

/** Apache httpd with the recipe inside a virtual host, in the foreground. */
const apache: Proxy = async (t, servicePort, dir, port) => {
  const modules = '/usr/lib/apache2/modules'
  const recipe = deploy('apache.conf').replace('127.0.0.1:8080', `127.0.0.1:${servicePort}`)
  writeFileSync(join(dir, 'httpd.conf'), `
LoadModule mpm_event_module ${modules}/mod_mpm_event.so
LoadModule authz_core_module ${modules}/mod_authz_core.so
LoadModule proxy_module ${modules}/mod_proxy.so
LoadModule proxy_http_module ${modules}/mod_proxy_http.so
ServerRoot ${dir}
DefaultRuntimeDir ${dir}
PidFile ${dir}/httpd.pid
ErrorLog /dev/stderr
LogLevel emerg
User www-data
Group www-data
ServerName localhost
Listen 127.0.0.1:${port}
<VirtualHost 127.0.0.1:${port}>
    ServerName example.com
    DocumentRoot ${dir}
${recipe}
</VirtualHost>
`)
  const proxy = spawn('apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: 'inherit' })
  t.teardown(() => { proxy.kill() })
}

/** HAProxy with the recipe's frontend lines and backend, the frontend bound to a loopback port. */
const haproxy: Proxy = async (t, servicePort, dir, port) => {
  const recipe = deploy('haproxy.cfg')
    .replace('frontend apex\n', `frontend apex\n    bind 127.0.0.1:${port}\n`)
    .replace('127.0.0.1:8080', `127.0.0.1:${servicePort}`)
  writeFileSync(join(dir, 'haproxy.cfg'), `global
    log stderr format raw local0 emerg
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
${recipe}`)
  const proxy = spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: 'inherit' })
  t.teardown(() => { proxy.kill() })
}

const PROXIES: Array<[name: string, command: string, proxy: Proxy]> = [
  ['nginx', 'nginx', nginx], ['Caddy', 'caddy', caddy], ['Apache httpd', 'apache2', apache], ['HAProxy', 'haproxy', haproxy]
]

async function behind (t: Test, proxy: Proxy, servicePort: number, name: string): Promise<number> {
  const dir = tempDir(t, 'proxy')
  const port = await unusedPort()
  await proxy(t, servicePort, dir, port)
  await until(answers(`http://127.0.0.1:${port}/.well-known/matrix/server`), `${name} to answer`)
  return port
}

for (const [name, command, proxy] of PROXIES) {
  t.test(`the ${name} recipe passes the documents through unchanged`, async t => {
    if (!needs(t, command)) return
    const service = await start(t, EVERYTHING)
    await compareThroughProxy(t, await behind(t, proxy, service.port, name), service.port)
  })

  t.test(`behind the ${name} recipe, each host gets its own documents and a forged X-Forwarded-Host changes nothing`, async t => {
    if (!needs(t, command)) return
    const dir = tempDir(t, 'proxy-domains')
    const file = join(dir, 'domains.json')
    writeFileSync(file, JSON.stringify({ 'a.example': { server: 'matrix.a.example:443' }, 'b.example': { server: 'matrix.b.example:443' } }))
    const service = await start(t, { MATRIX_DOMAINS_FILE: file, TRUST_PROXY: '127.0.0.1', TRUST_FORWARDED_HOST: 'true' })
    const port = await behind(t, proxy, service.port, name)
    const url = `http://127.0.0.1:${port}/.well-known/matrix/server`
    const forged = await get(url, { headers: { host: 'a.example', 'x-forwarded-host': 'b.example' } })
    t.equal(forged.body, '{"m.server":"matrix.a.example:443"}', 'the proxy\'s X-Forwarded-Host is the request\'s own host')
    // Apache rewrites the list without the space: the same list.
    t.match(forged.headers.vary, /^Host, ?X-Forwarded-Host$/)
    t.equal((await get(url, { headers: { host: 'b.example' } })).body, '{"m.server":"matrix.b.example:443"}', 'the Host is preserved')
    t.equal((await get(url, { headers: { host: 'c.example' } })).status, 404, 'an unknown host gets nobody\'s')
  })
}
