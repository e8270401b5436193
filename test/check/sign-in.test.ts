// Sign-in, against the loopback world of world.ts: the homeserver's
// auth_metadata, its CORS, the token endpoint's preflight and the
// authorization server's TLS.
import t from 'tap'
import { AUTH, AUTH_METADATA, check, closeWorld, json, matrixError, OPTIONS, setUp } from './world.js'

t.teardown(closeWorld)

const withMetadata = (metadata: unknown, routes: Record<string, unknown> = {}) =>
  setUp({ '* /_matrix/client/v1/auth_metadata': json(metadata), ...routes } as Parameters<typeof setUp>[0])

t.test('password login: 404 M_UNRECOGNIZED is ✓; a 404 from something else ⚠', async t => {
  setUp()
  t.match((await check()).find('sign-in'), [{ level: 'ok', detail: /^password login: the homeserver has no OAuth server/ }])
  setUp({ '* /_matrix/client/v1/auth_metadata': { status: 404, headers: { 'content-type': 'text/html' }, body: '<html>Not Found</html>' } })
  t.match((await check()).find('sign-in'), [{ level: 'warn', detail: /answered 404 without M_UNRECOGNIZED: it may not reach the homeserver/, fix: /auth_metadata/ }])
})

t.test('an OAuth server: metadata with CORS, a token endpoint that answers the preflight, an authorization server over TLS', async t => {
  withMetadata(AUTH_METADATA)
  const { find, report } = await check()
  t.match(find('sign-in'), [{ level: 'ok', detail: 'sign-in through the OAuth server https://auth.example.com/ (spec v1.15), which answers over TLSv1.3' }])
  t.equal(find('sign-in').length, 1)
  t.same(report.summary.clientProblems, [])
})

t.test('each way sign-in breaks is ✗, and the last line says sign-in will fail', async t => {
  const failing: Array<[() => void, RegExp]> = [
    [() => withMetadata(AUTH_METADATA, { '* /_matrix/client/v1/auth_metadata': { ...json(AUTH_METADATA), headers: { 'content-type': 'application/json' } } }),
      /auth_metadata has no Access-Control-Allow-Origin header: web clients such as Element Web cannot sign in/],
    [() => withMetadata({ ...AUTH_METADATA, token_endpoint: undefined }), /^the sign-in metadata's token_endpoint is missing or not a string: clients cannot sign in$/],
    [() => withMetadata({ ...AUTH_METADATA, issuer: 'http://auth.example.com/' }), /^the sign-in metadata's issuer uses http:\/\//],
    [() => withMetadata(AUTH_METADATA, { 'auth OPTIONS /oauth2/token': { status: 204 } }),
      /^the token endpoint's preflight \(OPTIONS https:\/\/auth\.example\.com\/oauth2\/token\) answered 204 without Access-Control-Allow-Origin: web clients/],
    [() => withMetadata({ ...AUTH_METADATA, authorization_endpoint: 'https://down.example.com/authorize' }), /^the authorization server does not answer: .*ECONNREFUSED.*: clients cannot sign in$/],
    [() => setUp({ '* /_matrix/client/v1/auth_metadata': matrixError(500, 'M_UNKNOWN') }), /auth_metadata answered 500: clients cannot tell how to sign in/],
    [() => setUp({ '* /_matrix/client/v1/auth_metadata': { status: 200, hangUp: true } }), /failed: socket hang up: clients cannot tell how to sign in/]
  ]
  for (const [arrange, detail] of failing) {
    arrange()
    const { find, report } = await check()
    t.match(find('sign-in', 'fail'), [{ detail }], String(detail))
    t.match(report.summary.text, /sign-in will fail/)
    t.equal(report.federates, true)
  }
})

t.test('the authorization server with another name\'s certificate is ✗', async t => {
  withMetadata({ ...AUTH_METADATA, authorization_endpoint: 'https://wrongname.example.com/authorize' })
  const overrides = new Map([...OPTIONS.overrides!, ['wrongname.example.com:443', { addresses: ['127.0.0.1'], port: AUTH }]])
  t.match((await check({ overrides })).find('sign-in', 'fail'), [{ detail: /the certificate is not valid for wrongname\.example\.com/ }])
})

t.test('a token endpoint that hangs up on the preflight is ✗', async t => {
  withMetadata(AUTH_METADATA, { 'auth OPTIONS /oauth2/token': { status: 0, hangUp: true } })
  t.match((await check()).find('sign-in', 'fail'), [{ detail: /^the token endpoint's preflight \(OPTIONS https:\/\/auth\.example\.com\/oauth2\/token\) OPTIONS .* failed: socket hang up: web clients/ }])
})
