// The proxy recipes in deploy/, run for real in front of the started service:
// our answers must come through untouched.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { EVERYTHING, until } from '../helper.js'
import { get, start, unusedPort } from './helper.js'

const deploy = (name: string) => readFileSync(new URL(`../../deploy/${name}`, import.meta.url), 'utf8')

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

/** nginx with the recipe's location block, in front of `servicePort`; resolves with its port. */
async function nginx (t: Test, servicePort: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-nginx-'))
  const port = await unusedPort()
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
  await until(answers(`http://127.0.0.1:${port}/`), 'nginx to answer')
  return port
}

t.test('the nginx recipe passes the documents through unchanged', async t => {
  if (!needs(t, 'nginx')) return
  const service = await start(t, EVERYTHING)
  await compareThroughProxy(t, await nginx(t, service.port), service.port)
})

t.test('behind the nginx recipe, a forged X-Forwarded-Host cannot choose another customer', async t => {
  if (!needs(t, 'nginx')) return
  const dir = mkdtempSync(join(tmpdir(), 'wk-nginx-domains-'))
  const file = join(dir, 'domains.json')
  writeFileSync(file, JSON.stringify({ 'a.example': { server: 'matrix.a.example:443' }, 'b.example': { server: 'matrix.b.example:443' } }))
  const service = await start(t, { MATRIX_DOMAINS_FILE: file, TRUST_PROXY: '127.0.0.1', TRUST_FORWARDED_HOST: 'true' })
  const port = await nginx(t, service.port)
  const forged = await get(`http://127.0.0.1:${port}/.well-known/matrix/server`, { headers: { host: 'a.example', 'x-forwarded-host': 'b.example' } })
  t.equal(forged.body, '{"m.server":"matrix.a.example:443"}', 'nginx overwrites the header with the request\'s own host')
  t.equal(forged.headers.vary, 'Host, X-Forwarded-Host')
  const own = await get(`http://127.0.0.1:${port}/.well-known/matrix/server`, { headers: { host: 'b.example' } })
  t.equal(own.body, '{"m.server":"matrix.b.example:443"}', 'each host still gets its own')
})

t.test('the Caddy recipe passes the documents through unchanged', async t => {
  if (!needs(t, 'caddy')) return
  const service = await start(t, EVERYTHING)
  const dir = mkdtempSync(join(tmpdir(), 'wk-caddy-'))
  const port = await unusedPort()
  const site = deploy('Caddyfile')
    .replace('example.com {', `http://example.com:${port}, http://127.0.0.1:${port} {`)
    .replace('127.0.0.1:8080', `127.0.0.1:${service.port}`)
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n\tlog {\n\t\tlevel ERROR\n\t}\n}\n${site}`)
  const caddy = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  t.teardown(() => { caddy.kill() })
  await until(answers(`http://127.0.0.1:${port}/.well-known/matrix/server`), 'Caddy to answer')
  await compareThroughProxy(t, port, service.port)
})
