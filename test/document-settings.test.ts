// Single-domain mode: the MATRIX_* settings become documents, and each problem
// is reported against the variable that causes it.
import t from 'tap'
import { DOCUMENT_VARIABLES, documentsFromSettings, type DocumentSettings, type DocumentVariable } from '../src/document-settings.js'
import { MAX_DOCUMENT_BYTES } from '../src/documents.js'

function assemble (settings: DocumentSettings) {
  const problems: Array<[DocumentVariable, string]> = []
  const warnings: string[] = []
  const documents = documentsFromSettings(settings, (variable, problem) => problems.push([variable, problem]), warnings)
  return { documents, problems, warnings }
}

t.test('each document from its variables, serialised as served', async t => {
  const { documents, problems, warnings } = assemble({
    MATRIX_SERVER: 'matrix.example.com:443',
    MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
    MATRIX_IDENTITY_SERVER_BASE_URL: 'https://id.example.com',
    MATRIX_CLIENT_EXTRA: '{"io.element.e2ee":{"default":false}}',
    MATRIX_SUPPORT_PAGE: 'https://example.com/support',
    MATRIX_POLICY_SERVER_ED25519_KEY: 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs'
  })
  t.same(problems, [])
  t.same(warnings, [])
  t.same(documents, {
    server: '{"m.server":"matrix.example.com:443"}',
    client: '{"m.homeserver":{"base_url":"https://matrix.example.com"},"m.identity_server":{"base_url":"https://id.example.com"},"io.element.e2ee":{"default":false}}',
    support: '{"support_page":"https://example.com/support"}',
    policy_server: '{"public_keys":{"ed25519":"MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs"}}'
  })
})

t.test('a problem is reported against its own variable, and its document left out', async t => {
  const { documents, problems } = assemble({
    MATRIX_SERVER: 'https://matrix.example.com',
    MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
    MATRIX_CLIENT_EXTRA: '[]',
    MATRIX_SUPPORT_CONTACTS: '[]'
  })
  t.same(problems.map(([variable]) => variable), ['MATRIX_SERVER', 'MATRIX_CLIENT_EXTRA', 'MATRIX_SUPPORT_CONTACTS'])
  t.same(documents, { client: '{"m.homeserver":{"base_url":"https://matrix.example.com"}}' }, 'a bad extra leaves the base document')
  const orphans = assemble({ MATRIX_IDENTITY_SERVER_BASE_URL: 'https://id.example.com', MATRIX_CLIENT_EXTRA: '{"a.b":1}' })
  t.same(orphans.problems.map(([variable, problem]) => `${variable} ${problem}`), [
    'MATRIX_IDENTITY_SERVER_BASE_URL needs MATRIX_CLIENT_BASE_URL, the homeserver the client document points to',
    'MATRIX_CLIENT_EXTRA needs MATRIX_CLIENT_BASE_URL, the homeserver the client document points to'
  ])
  const large = assemble({ MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com', MATRIX_CLIENT_EXTRA: JSON.stringify({ 'a.b': 'x'.repeat(MAX_DOCUMENT_BYTES) }) })
  t.match(large.problems, [['MATRIX_CLIENT_EXTRA', /makes a document of \d+ bytes/]], 'the size of the whole document, against the variable that grows it')
})

t.test('advice about the server name is a warning naming MATRIX_SERVER', async t => {
  t.match(assemble({ MATRIX_SERVER: 'Matrix.example.com' }).warnings, [/^MATRIX_SERVER: .* has no port/, /^MATRIX_SERVER: .* upper-case/])
})

t.test('the variables of single-domain mode are the MATRIX_* document settings', async t => {
  t.ok(DOCUMENT_VARIABLES.every(variable => variable.startsWith('MATRIX_')))
  t.notOk((DOCUMENT_VARIABLES as readonly string[]).includes('MATRIX_DOMAINS_FILE'))
})
