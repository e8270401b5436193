// One builder per document, shared by the environment and the domains file.
import t from 'tap'
import {
  DOCUMENT_BUILDERS, DOCUMENT_NAMES, MAX_DOCUMENT_BYTES, WELL_KNOWN_PREFIX,
  clientDocument, documentAtPath, policyServerDocument, serverDocument, supportDocument, targetPath
} from '../src/documents.js'

t.test('each builder serialises a valid document compactly, as given', async t => {
  t.same(serverDocument('matrix.example.com:443'), { body: '{"m.server":"matrix.example.com:443"}' })
  const client = { 'm.homeserver': { base_url: 'https://matrix.example.com/' }, 'org.example.key': [1, 'two'] }
  t.same(clientDocument(client), { body: JSON.stringify(client) })
  t.same(supportDocument({ support_page: 'https://example.com/help' }), { body: '{"support_page":"https://example.com/help"}' })
  t.same(Object.keys(DOCUMENT_BUILDERS), [...DOCUMENT_NAMES], 'a builder for every document')
})

t.test('a builder names the field and the problem of an invalid document', async t => {
  t.same(serverDocument(443), { problem: { field: 'server', problem: 'is not a string such as "matrix.example.com:443"' } })
  t.match(serverDocument('https://matrix.example.com'), { problem: { field: 'server', problem: /has a scheme/ } })
  t.match(clientDocument({}), { problem: { field: 'client.m.homeserver' } })
  t.match(supportDocument({ contacts: [] }), { problem: { field: 'support.contacts', problem: /empty array/ } })
  t.match(policyServerDocument(32), { problem: { field: 'policy_server', problem: /^is not a string such as "[A-Za-z0-9+/]{43}"$/ } })
})

t.test('no document may exceed 12 KiB, counted in bytes', async t => {
  const client = (filler: string) => ({ 'm.homeserver': { base_url: 'https://m.example' }, 'org.example.filler': filler })
  const overhead = JSON.stringify(client('')).length
  t.ok(clientDocument(client('x'.repeat(MAX_DOCUMENT_BYTES - overhead))).body)
  t.match(clientDocument(client('x'.repeat(MAX_DOCUMENT_BYTES - overhead + 1))), {
    problem: { field: 'client', problem: `makes a document of ${MAX_DOCUMENT_BYTES + 1} bytes: keep it under ${MAX_DOCUMENT_BYTES} (12 KiB), the most some homeservers read` }
  })
  // Two bytes per "é": a character count would let this through.
  t.match(clientDocument(client('é'.repeat((MAX_DOCUMENT_BYTES - overhead) / 2 + 1))), { problem: { field: 'client' } })
})

t.test('a document path names its document, whatever the query; nothing else does', async t => {
  t.equal(WELL_KNOWN_PREFIX, '/.well-known/matrix/')
  for (const name of DOCUMENT_NAMES) {
    t.equal(documentAtPath(`/.well-known/matrix/${name}`), name)
    t.equal(documentAtPath(`/.well-known/matrix/${name}?x=1`), name)
  }
  for (const url of ['/.well-known/matrix/', '/.well-known/matrix/server/', '/.well-known/matrix/Server', '/healthz', '/.well-known/matrix/server#x']) {
    t.equal(documentAtPath(url), undefined, url)
  }
  t.equal(targetPath('/a?b?c'), '/a')
  t.equal(targetPath('/a'), '/a')
})
