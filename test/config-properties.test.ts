// Property-based checks of every validator: values generated from the spec's
// grammars are accepted and make documents holding them byte for byte;
// mutations of them are refused with the variable named. Seeded and bounded,
// so a failure reproduces. What loadConfig makes is what is served: the last
// test checks that once, through the app.
import fc from 'fast-check'
import t from 'tap'
import { ConfigError, loadConfig, type Environment } from '../src/config.js'
import type { DocumentName } from '../src/documents.js'
import { unreachableHostProblem } from '../src/federation-host.js'
import { parseServerName } from '../src/validators.js'
import { EVERYTHING, build } from './helper.js'

const SEED = 20261128
const RUNS = 150
const options = { seed: SEED, numRuns: RUNS }

const load = (env: Environment) => loadConfig(env, { dotenvPath: false })

/** The one error line for `variable`, or undefined when the environment is accepted. */
function refusal (env: Environment, variable: string): string | undefined {
  try {
    load(env)
    return undefined
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.problems.find(line => line.startsWith(`${variable}=`))
  }
}

/** The body loadConfig makes for a document, as it will be served. */
function served (env: Environment, name: DocumentName): string | undefined {
  return load(env).config.documents[name]
}

// Matrix spec appendix "Server Name" (with Synapse's rule of non-empty labels).
const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/).chain(start => fc.constant(start))
const dnsName = fc.array(label, { minLength: 1, maxLength: 5 }).map(labels => labels.join('.'))
  .filter(name => !/^[\d.]+$/.test(name)) // all digits and dots is read as IPv4
const ipv4 = fc.ipV4()
const ipv6 = fc.ipV6().map(address => `[${address}]`)
const port = fc.integer({ min: 1, max: 65535 })
const host = fc.oneof(dnsName, ipv4, ipv6)
// What remote servers can reach: not loopback, unspecified or a numeric shorthand (federation-host.ts).
const reachable = (name: string) => {
  const { hostname, kind } = parseServerName(name).value!
  return unreachableHostProblem(hostname, kind) === undefined
}
const serverName = fc.tuple(host.filter(reachable), fc.option(port)).map(([name, p]) => p === null ? name : `${name}:${p}`)

t.test('every server name the grammar allows that remote servers can reach is served byte for byte', async t => {
  fc.assert(fc.property(serverName, name => {
    const body = served({ MATRIX_SERVER: name }, 'server')
    return body === `{"m.server":"${name}"}`
  }), options)
  t.pass(`${RUNS} server names, seed ${SEED}`)
})

t.test('every loopback or unspecified address, written any way, is refused', async t => {
  const unreachable = fc.oneof(
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `127.${a}.${b}.${c}`),
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `0.${a}.${b}.${c}`),
    fc.constantFrom('[::1]', '[::]', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', 'localhost', 'matrix.localhost'),
    fc.integer({ min: 2130706432, max: 2147483647 }).map(String) // 127.0.0.0/8 as one number
  )
  fc.assert(fc.property(unreachable, fc.option(port), (name, p) => {
    try {
      load({ MATRIX_SERVER: p === null ? name : `${name}:${p}` })
      return false
    } catch (err) {
      return err instanceof ConfigError && /loopback|unspecified|URL parsers read as an IPv4 address/.test(err.problems[0]!)
    }
  }), options)
  t.pass(`${RUNS} unreachable hosts, seed ${SEED}`)
})

const insertAt = (text: string, at: number, piece: string) => text.slice(0, at) + piece + text.slice(at)

const serverNameMutation = fc.oneof(
  fc.tuple(serverName, fc.constantFrom('https://', 'http://', 'matrix://')).map(([name, scheme]) => scheme + name),
  fc.tuple(serverName, fc.constantFrom('/', '/_matrix', '/x/y')).map(([name, path]) => name + path),
  fc.tuple(serverName, fc.nat(), fc.constantFrom(' ', '\t', '\n')).map(([name, at, space]) => insertAt(name, at % (name.length + 1), space)),
  fc.tuple(dnsName, fc.nat(), fc.constantFrom('_', '!', '@', '#', '$', '%', '&', '*', '(', '=', '+', ';', ',', '"', '\'', 'é', '\\'))
    .map(([name, at, bad]) => insertAt(name, at % (name.length + 1), bad)),
  fc.tuple(host, fc.oneof(fc.constant(0), fc.integer({ min: 65536, max: 999999 }))).map(([name, p]) => `${name}:${p}`),
  host.map(name => `${name}:`),
  fc.ipV6().map(address => `[${address}`),
  fc.ipV6().map(address => `${address}]`),
  fc.tuple(dnsName, fc.integer({ min: 64, max: 80 })).map(([name, length]) => `${'a'.repeat(length)}.${name}`),
  fc.array(fc.constant('a'.repeat(63)), { minLength: 5, maxLength: 5 }).map(labels => labels.join('.')), // 319 characters
  dnsName.map(name => `${name}..com`),
  dnsName.map(name => `.${name}`),
  fc.constant('')
)

t.test('mutated server names are refused, naming MATRIX_SERVER', async t => {
  fc.assert(fc.property(serverNameMutation, name => {
    const line = refusal({ MATRIX_SERVER: name }, 'MATRIX_SERVER')
    return line !== undefined && line.includes('(example: MATRIX_SERVER=')
  }), options)
  t.pass(`${RUNS} mutations, seed ${SEED}`)
})

const path = fc.array(fc.stringMatching(/^[a-z0-9_-]{1,8}$/), { maxLength: 3 }).map(parts => parts.map(part => `/${part}`).join(''))
// URL parsers (WHATWG) read a host whose last label is a number as IPv4.
const urlHost = fc.oneof(dnsName.filter(name => name.includes('.') && !/(^|\.)\d+$/.test(name)), ipv4, ipv6)
const httpsUrl = fc.tuple(urlHost, fc.option(port), path, fc.boolean())
  .map(([name, p, rest, slash]) => `https://${name}${p === null ? '' : `:${p}`}${rest}${slash ? '/' : ''}`)

t.test('https base URLs are accepted and served byte for byte', async t => {
  fc.assert(fc.property(httpsUrl, httpsUrl, (homeserver, identity) => {
    const body = served({ MATRIX_CLIENT_BASE_URL: homeserver, MATRIX_IDENTITY_SERVER_BASE_URL: identity }, 'client')
    return body === `{"m.homeserver":{"base_url":"${homeserver}"},"m.identity_server":{"base_url":"${identity}"}}`
  }), { ...options, numRuns: 75 })
  t.pass(`75 URL pairs, seed ${SEED}`)
})

const urlMutation = fc.oneof(
  httpsUrl.map(url => url.replace('https://', 'http://')).filter(url => !/^http:\/\/(127\.|\[::1\])/.test(url)),
  httpsUrl.map(url => url.replace('https://', '')),
  httpsUrl.map(url => url.replace('https://', 'ftp://')),
  httpsUrl.map(url => `${url}?next=1`),
  httpsUrl.map(url => `${url}#fragment`),
  fc.tuple(httpsUrl, fc.nat()).map(([url, at]) => insertAt(url, 8 + at % (url.length - 7), ' ')),
  httpsUrl.map(url => url.replace('https://', 'https://user:secret@')),
  dnsName.map(name => `https://${name}_x.example`)
)

t.test('mutated URLs are refused, naming the variable', async t => {
  for (const variable of ['MATRIX_CLIENT_BASE_URL', 'MATRIX_SUPPORT_PAGE'] as const) {
    fc.assert(fc.property(urlMutation, url => refusal({ [variable]: url }, variable) !== undefined), options)
  }
  fc.assert(fc.property(urlMutation, url =>
    refusal({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_IDENTITY_SERVER_BASE_URL: url }, 'MATRIX_IDENTITY_SERVER_BASE_URL') !== undefined), options)
  t.pass(`${RUNS} mutations per variable, seed ${SEED}`)
})

const localpart = fc.stringMatching(/^[a-z0-9._=/+-]{1,24}$/)
const matrixId = fc.tuple(localpart, serverName).map(([local, server]) => `@${local}:${server}`)
const email = fc.tuple(fc.stringMatching(/^[a-z0-9._+-]{1,16}$/), dnsName.filter(name => name.includes('.')))
  .map(([local, domain]) => `${local}@${domain}`)
const role = fc.oneof(fc.constantFrom('m.role.admin', 'm.role.security'), fc.tuple(label, label).map(([a, b]) => `org.${a}.${b}`))
const contact = fc.record({ role, matrix_id: matrixId, email_address: email }, { requiredKeys: ['role'] })
  .filter(c => c.matrix_id !== undefined || c.email_address !== undefined)

t.test('support contacts from the spec grammar are served byte for byte', async t => {
  fc.assert(fc.property(fc.array(contact, { minLength: 1, maxLength: 4 }), contacts => {
    const json = JSON.stringify(contacts)
    const body = served({ MATRIX_SUPPORT_CONTACTS: json }, 'support')
    return body === `{"contacts":${json}}`
  }), { ...options, numRuns: 75 })
  t.pass(`75 contact lists, seed ${SEED}`)
})

const contactMutation = fc.oneof(
  contact.map(c => ({ ...c, role: undefined })),
  contact.map(c => ({ ...c, role: c.role.replace(/\./g, '') })),
  contact.map(c => ({ role: c.role })),
  fc.tuple(contact, matrixId).map(([c, id]) => ({ ...c, matrix_id: id.slice(1) })),
  fc.tuple(contact, matrixId).map(([c, id]) => ({ ...c, matrix_id: id.replaceAll(':', '') })),
  fc.tuple(contact, localpart, serverNameMutation.filter(bad => !bad.includes(':') || bad.startsWith('http')))
    .map(([c, local, bad]) => ({ ...c, matrix_id: `@${local}:${bad}` })),
  fc.tuple(contact, email).map(([c, address]) => ({ ...c, email_address: address.replace('@', '') }))
)

t.test('mutated contacts are refused, naming MATRIX_SUPPORT_CONTACTS', async t => {
  fc.assert(fc.property(contactMutation, bad => refusal({ MATRIX_SUPPORT_CONTACTS: JSON.stringify([bad]) }, 'MATRIX_SUPPORT_CONTACTS') !== undefined), options)
  t.pass(`${RUNS} mutations, seed ${SEED}`)
})

const namespacedKey = fc.tuple(label, label, fc.option(label)).map(parts => parts.filter(Boolean).join('.'))
  .filter(key => key !== 'm.homeserver' && key !== 'm.identity_server')
const extra = fc.dictionary(namespacedKey, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 })

t.test('namespaced extra client keys are merged and served as given', async t => {
  fc.assert(fc.property(extra, keys => {
    const body = served({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: JSON.stringify(keys) }, 'client')
    const expected = JSON.stringify({ 'm.homeserver': { base_url: 'https://matrix.example.com' }, ...keys })
    return body === expected
  }), { ...options, numRuns: 75 })
  t.pass(`75 objects, seed ${SEED}`)
})

t.test('extra client settings that are not namespaced objects are refused', async t => {
  const bad = fc.oneof(
    fc.tuple(extra, label).map(([keys, plain]) => JSON.stringify({ ...keys, [plain]: 1 })),
    extra.map(keys => JSON.stringify({ ...keys, 'm.homeserver': { base_url: 'https://elsewhere.example' } })),
    fc.jsonValue().filter(value => typeof value !== 'object' || value === null || Array.isArray(value)).map(value => JSON.stringify(value)),
    extra.map(keys => JSON.stringify(keys).slice(0, -1))
  )
  fc.assert(fc.property(bad, text => refusal({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: text }, 'MATRIX_CLIENT_EXTRA') !== undefined), options)
  t.pass(`${RUNS} values, seed ${SEED}`)
})

t.test('the app serves exactly the bodies loadConfig made', async t => {
  const documents = load(EVERYTHING).config.documents
  const app = await build(t, EVERYTHING)
  for (const name of ['server', 'client', 'support'] as const) {
    const response = await app.inject(`/.well-known/matrix/${name}`)
    t.equal(response.statusCode, 200, name)
    t.equal(response.body, documents[name], name)
  }
})
