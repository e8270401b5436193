// Shared by the domains-file tests: a provider's file with every kind of entry.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { tempDir } from './helper.js'

export const PROVIDER = {
  'example.com': {
    server: 'matrix.example.com:443',
    client: { 'm.homeserver': { base_url: 'https://matrix.example.com' }, 'org.matrix.msc4143.rtc_foci': [{ type: 'livekit', livekit_service_url: 'https://livekit-jwt.example.com' }] },
    support: { contacts: [{ role: 'm.role.admin', email_address: 'ops@example.com' }] }
  },
  'Example.org': { server: 'matrix.example.org:8448', policy_server: 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs' },
  'chat.example.net': { client: { 'm.homeserver': { base_url: 'https://hs.example.net/' }, 'm.identity_server': { base_url: 'https://id.example.net' } } },
  '[2001:db8::1]': { support: { support_page: 'https://example.net/help' } }
}

/** A file of `content` (JSON unless a string) in a directory of its own, removed when `t` ends. */
export function tempFile (t: Test, name: string, content: unknown): string {
  const dir = tempDir(t, 'domains')
  const file = join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}
