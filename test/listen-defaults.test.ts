// Where the service listens unless told otherwise: what the configuration and
// the health probe both assume.
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { probeAddressFrom } from '../src/healthcheck.js'
import { LISTEN_DEFAULTS } from '../src/listen-defaults.js'

t.test('every interface on 8080, for the configuration and the probe alike', async t => {
  t.same(LISTEN_DEFAULTS, { host: '0.0.0.0', port: 8080 })
  t.ok(Object.isFrozen(LISTEN_DEFAULTS))
  const { config } = loadConfig({ MATRIX_SERVER: 'matrix.example.com:443' }, { dotenvPath: false })
  t.same({ host: config.host, port: config.port }, LISTEN_DEFAULTS)
  t.same(probeAddressFrom({}, false), LISTEN_DEFAULTS)
})
