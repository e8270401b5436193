import t from 'tap'
import {
  emailProblem,
  httpsUrlProblem,
  matrixIdProblem,
  parseJson,
  parseServerName,
  serverNameWarnings,
  supportContactsProblem
} from '../src/validators.js'

const label63 = 'a'.repeat(63)
const name255 = [label63, label63, label63, 'b'.repeat(63)].join('.') // 4 × 63 + 3 dots = 255
const name256 = [label63, label63, label63, 'b'.repeat(64)].join('.')

t.test('accepts every form of the server-name grammar', async t => {
  const valid: Array<[string, string, number | undefined, string]> = [
    ['matrix.example.com', 'matrix.example.com', undefined, 'dns'],
    ['matrix.example.com:443', 'matrix.example.com', 443, 'dns'],
    ['localhost', 'localhost', undefined, 'dns'],
    ['example', 'example', undefined, 'dns'],
    ['my-host.example.org:8448', 'my-host.example.org', 8448, 'dns'],
    ['MATRIX.Example.com', 'MATRIX.Example.com', undefined, 'dns'],
    ['1.2.3.4', '1.2.3.4', undefined, 'ipv4'],
    ['1.2.3.4:1234', '1.2.3.4', 1234, 'ipv4'],
    ['255.255.255.255:1', '255.255.255.255', 1, 'ipv4'],
    ['0.0.0.0:65535', '0.0.0.0', 65535, 'ipv4'],
    ['[1234:5678::abcd]:5678', '[1234:5678::abcd]', 5678, 'ipv6'],
    ['[::1]', '[::1]', undefined, 'ipv6'],
    ['[2001:db8::192.0.2.1]:443', '[2001:db8::192.0.2.1]', 443, 'ipv6'],
    [name255, name255, undefined, 'dns'],
    [`${name255}:443`, name255, 443, 'dns'],
    ['1.2.3', '1.2.3', undefined, 'dns']
  ]
  for (const [input, hostname, port, kind] of valid) {
    t.same(parseServerName(input), { value: { hostname, port, kind } }, input)
  }
})

t.test('refuses what the grammar forbids, saying why', async t => {
  const invalid: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['https://matrix.example.com', /has a scheme: remove "https:\/\/"/],
    ['http://matrix.example.com:443', /has a scheme: remove "http:\/\/"/],
    ['matrix.example.com/', /has a path/],
    ['matrix.example.com:443/_matrix', /has a path/],
    ['matrix .example.com', /whitespace/],
    [' matrix.example.com', /whitespace/],
    ['matrix.example.com\t', /whitespace/],
    ['matrix_server.example.com', /contains "_"/],
    ['matrix.example.com!', /contains "!"/],
    ['mätrix.example.com', /contains "ä"/],
    ['matrix..example.com', /empty label/],
    ['.example.com', /empty label/],
    ['example.com.', /empty label/],
    [name256, /256 characters/],
    [`${'a'.repeat(64)}.com`, /label of 64 characters/],
    ['matrix.example.com:', /empty port/],
    ['matrix.example.com:0', /port 0, outside 1–65535/],
    ['matrix.example.com:65536', /port 65536, outside/],
    ['matrix.example.com:99999', /port 99999, outside/],
    ['matrix.example.com:123456', /not a number/],
    ['matrix.example.com:-1', /not a number/],
    ['matrix.example.com:44a', /not a number/],
    [':8448', /no host name/],
    ['2001:db8::1', /IPv6 address without brackets/],
    ['::1', /IPv6 address without brackets/],
    ['a:b:c', /more than one ":"/],
    ['[2001:db8::1', /unbalanced "\["/],
    ['2001:db8::1]', /unbalanced "\]"/],
    ['[2001:db8::1]443', /after the IPv6 address/],
    ['[2001:db8::1]:', /empty port/],
    ['[not:an:ipv6]:443', /not an IPv6 address/],
    ['[1.2.3.4]', /not an IPv6 address/],
    ['256.1.1.1', /not an IPv4 address/],
    ['1.2.3.400:443', /not an IPv4 address/],
    ['01.2.3.4', /not an IPv4 address/]
  ]
  for (const [input, problem] of invalid) {
    const parsed = parseServerName(input)
    t.equal(parsed.value, undefined, `${JSON.stringify(input)} is refused`)
    t.match(parsed.problem, problem, JSON.stringify(input))
  }
})

t.test('warns about a missing port, upper case and great length', async t => {
  const facts = (input: string) => parseServerName(input).value!
  t.same(serverNameWarnings('matrix.example.com:443', facts('matrix.example.com:443')), [])
  const [noPort, ...rest] = serverNameWarnings('matrix.example.com', facts('matrix.example.com'))
  t.match(noPort, /no port.*SRV.*8448.*"matrix.example.com:443"/)
  t.same(rest, [])
  t.match(serverNameWarnings('Matrix.example.com:443', facts('Matrix.example.com:443')), [/upper-case/])
  const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(55)}:443`
  t.match(serverNameWarnings(long, facts(long)), [/242 characters long/])
})

t.test('accepts https URLs with a host, and http only on loopback', async t => {
  for (const url of [
    'https://matrix.example.com',
    'https://matrix.example.com/',
    'https://matrix.example.com:8448',
    'https://example.com/matrix/',
    'https://[2001:db8::1]:8448',
    'https://192.0.2.1',
    'http://localhost:8008',
    'http://127.0.0.1:8008/',
    'http://127.1.2.3',
    'http://[::1]:8008',
    'HTTPS://matrix.example.com'
  ]) {
    t.equal(httpsUrlProblem(url), undefined, url)
  }
})

t.test('refuses URLs clients cannot use', async t => {
  const invalid: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['matrix.example.com', /not an absolute URL/],
    ['/matrix', /not an absolute URL/],
    ['http://matrix.example.com', /uses http:\/\/: use https:\/\//],
    ['ftp://matrix.example.com', /uses "ftp:"/],
    ['https:matrix.example.com', /has no host/],
    ['https://matrix.example.com?x=1', /query/],
    ['https://matrix.example.com/?', /query/],
    ['https://matrix.example.com#top', /fragment/],
    ['https://user:pw@matrix.example.com', /user name or password/],
    ['https://matrix.example.com /x', /whitespace/],
    ['https://matrix_example.com', /host that contains "_"/],
    ['https://example.com.', /host that has an empty label/]
  ]
  for (const [url, problem] of invalid) t.match(httpsUrlProblem(url), problem, url)
})

t.test('checks Matrix user IDs', async t => {
  for (const id of ['@admin:example.com', '@a.b_c=d-e/f+g:example.com:8448', '@Historic!User:[::1]']) {
    t.equal(matrixIdProblem(id), undefined, id)
  }
  const invalid: Array<[string, RegExp]> = [
    ['admin:example.com', /does not start with "@"/],
    ['@admin', /no ":server_name"/],
    ['@:example.com', /empty localpart/],
    ['@ad min:example.com', /characters a user ID cannot/],
    ['@admin:https://example.com', /server name that has a scheme/],
    [`@${'a'.repeat(250)}:example.com`, /at most 255/]
  ]
  for (const [id, problem] of invalid) t.match(matrixIdProblem(id), problem, id)
})

t.test('checks email addresses', async t => {
  t.equal(emailProblem('ops@example.com'), undefined)
  t.equal(emailProblem('first.last+tag@mail.example.org'), undefined)
  for (const email of ['ops', '@example.com', 'ops @example.com']) t.match(emailProblem(email), /not an email address/, email)
  for (const email of ['ops@localhost', 'ops@exa_mple.com']) t.match(emailProblem(email), /domain/, email)
})

t.test('parses JSON and keeps the parser message with its position', async t => {
  t.same(parseJson('{"a":1}'), { value: { a: 1 } })
  t.match(parseJson('{"a":1,}').problem, /^is not valid JSON: .*position 7/)
})

t.test('checks support contacts', async t => {
  t.equal(supportContactsProblem([
    { role: 'm.role.admin', matrix_id: '@admin:example.com', email_address: 'admin@example.com' },
    { role: 'm.role.security', email_address: 'security@example.com' },
    { role: 'org.example.role.billing', matrix_id: '@billing:example.com', 'org.example.note': 'weekdays' }
  ]), undefined)
  const invalid: Array<[unknown, RegExp]> = [
    [{}, /not a JSON array/],
    [[], /empty array/],
    [['x'], /contact 1 that is not an object/],
    [[{ matrix_id: '@a:b.c' }], /contact 1 without a "role"/],
    [[{ role: 'admin', matrix_id: '@a:b.c' }], /role "admin": use/],
    [[{ role: 'm.role.owner', matrix_id: '@a:b.c' }], /role "m.role.owner"/],
    [[{ role: 'm.role.admin' }], /neither "matrix_id" nor "email_address"/],
    [[{ role: 'm.role.admin', matrix_id: 'admin' }], /matrix_id does not start with "@"/],
    [[{ role: 'm.role.admin', matrix_id: 42 }], /matrix_id is not a string/],
    [[{ role: 'm.role.admin', email_address: 'nope' }], /email_address is not an email/],
    [[{ role: 'm.role.admin', email_address: ['a@b.c'] }], /email_address is not a string/],
    [[{ role: 'm.role.admin', email_address: 'a@b.c' }, { role: 'm.role.admin', email: 'a@b.c' }], /contact 2 with neither/],
    [[{ role: 'm.role.admin', email_address: 'a@b.c', email: 'x' }], /contact 1 with the unknown key "email"/]
  ]
  for (const [value, problem] of invalid) t.match(supportContactsProblem(value), problem, JSON.stringify(value))
})
