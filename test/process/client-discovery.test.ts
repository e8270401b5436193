// A real Matrix client library against the running server: matrix-js-sdk's
// AutoDiscovery, the code Element uses to find a homeserver from a user ID.
import t from 'tap'
import { AutoDiscovery } from 'matrix-js-sdk/lib/autodiscovery.js'
import { get } from '../helper.js'
import { start } from './helper.js'

// matrix-js-sdk arms a 5 s abort timer for each request it makes and never
// clears it, which would keep this file's process alive, idle, 5 s after its
// tests end: the timers armed while it discovers are unref'd.
async function discover (serverName: string) {
  const arm = globalThis.setTimeout
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => arm(...args).unref()) as typeof setTimeout
  try {
    return await AutoDiscovery.findClientConfig(serverName)
  } finally {
    globalThis.setTimeout = arm
  }
}

/** Our server's answer to `path` as a fetch Response, over a connection closed after it. */
async function fromServer (url: string, path: string): Promise<Response> {
  const { status, body, headers } = await get(`${url}${path}`)
  return new Response(body, { status, headers: headers as Record<string, string> })
}

t.test('matrix-js-sdk discovers the homeserver through the running server', async t => {
  const server = await start(t, {
    MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
    MATRIX_IDENTITY_SERVER_BASE_URL: 'https://id.example.com',
    MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://livekit-jwt.example.com'
  })
  const requested: string[] = []
  // example.com is our server; the homeserver and identity server it names
  // answer the probes the SDK sends to check them.
  AutoDiscovery.setFetchFn(async (input, init) => {
    const url = new URL(String(input))
    requested.push(url.href)
    if (url.host === 'example.com') return fromServer(server.url, url.pathname)
    if (url.href === 'https://matrix.example.com/_matrix/client/versions') return Response.json({ versions: ['v1.1', 'v1.11', 'v1.12'] })
    if (url.href === 'https://id.example.com/_matrix/identity/v2') return Response.json({})
    return new Response('{"errcode":"M_NOT_FOUND"}', { status: 404 })
  })
  t.teardown(() => AutoDiscovery.setFetchFn(globalThis.fetch))

  const config = await discover('example.com')
  t.comment(`AutoDiscovery.findClientConfig returned ${JSON.stringify(config)}`)
  t.equal(requested[0], 'https://example.com/.well-known/matrix/client')
  t.match(config['m.homeserver'], { state: AutoDiscovery.SUCCESS, error: null, base_url: 'https://matrix.example.com' })
  t.match(config['m.identity_server'], { state: AutoDiscovery.SUCCESS, base_url: 'https://id.example.com' })
  t.same(config['org.matrix.msc4143.rtc_foci'], [{ type: 'livekit', livekit_service_url: 'https://livekit-jwt.example.com' }])
})

t.test('matrix-js-sdk reads a missing client document as "nothing to discover", not an error', async t => {
  const server = await start(t, { MATRIX_SERVER: 'matrix.example.com:443' })
  AutoDiscovery.setFetchFn(async input => fromServer(server.url, new URL(String(input)).pathname))
  t.teardown(() => AutoDiscovery.setFetchFn(globalThis.fetch))
  const config = await discover('example.com')
  t.equal(config['m.homeserver'].state, AutoDiscovery.PROMPT)
  t.equal(config['m.homeserver'].error, null)
})
