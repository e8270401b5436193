// Every setting: one schema entry and one example, each example itself a
// value the service accepts.
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { ENV_SCHEMA, EXAMPLES } from '../src/settings.js'

t.test('every variable in the schema has an example, and only those', async t => {
  t.same(Object.keys(EXAMPLES).sort(), Object.keys(ENV_SCHEMA.properties).sort())
})

t.test('each example alone, beside a document, is accepted as it stands', async t => {
  const { MATRIX_DOMAINS_FILE: domainsFile, ...examples } = EXAMPLES
  t.match(domainsFile, /^\/.*\.json$/, 'the domains file example is a path (its content is checked in test/docs.test.ts)')
  for (const [variable, example] of Object.entries(examples)) {
    const env = { MATRIX_SERVER: 'matrix.example.com:443', MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', [variable]: example }
    t.doesNotThrow(() => loadConfig(env, { dotenvPath: false }), `${variable}=${example}`)
  }
})

t.test('defaults are given where a setting has one, inside its own range', async t => {
  const properties = Object.entries(ENV_SCHEMA.properties) as Array<[string, Record<string, unknown>]>
  for (const [variable, property] of properties) {
    if (!('default' in property) || property.type !== 'integer') continue
    const value = property.default as number
    t.ok(value >= (property.minimum as number) && value <= (property.maximum as number), `${variable}: ${value}`)
  }
})
