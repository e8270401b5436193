// Every setting the service reads from the environment: its type, range and
// default (the schema env-schema checks), and a good example for error lines.
// docs/configuration.md and config.example.env list the same, and a test keeps
// them in step.
import { LISTEN_DEFAULTS } from './listen-defaults.js'
import type { LogLevel } from './logger.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[]

export const ENV_SCHEMA = {
  type: 'object',
  properties: {
    MATRIX_SERVER: { type: 'string' },
    MATRIX_CLIENT_BASE_URL: { type: 'string' },
    MATRIX_IDENTITY_SERVER_BASE_URL: { type: 'string' },
    MATRIX_CLIENT_EXTRA: { type: 'string' },
    MATRIX_RTC_LIVEKIT_SERVICE_URL: { type: 'string' },
    MATRIX_SUPPORT_CONTACTS: { type: 'string' },
    MATRIX_SUPPORT_PAGE: { type: 'string' },
    MATRIX_POLICY_SERVER_ED25519_KEY: { type: 'string' },
    MATRIX_DOMAINS_FILE: { type: 'string' },
    // Besides change notifications, which network and bind mounts may never deliver.
    DOMAINS_FILE_CHECK_MS: { type: 'integer', minimum: 0, maximum: 3_600_000, default: 5000 }, // ms; 0: notifications and SIGHUP only
    HOST: { type: 'string', default: LISTEN_DEFAULTS.host },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: LISTEN_DEFAULTS.port }, // 0: any free port, which the `serving` line names
    // Synapse clamps the period to 5 min–48 h and the spec recommends at most 48 h.
    CACHE_MAX_AGE: { type: 'integer', minimum: 300, maximum: 172800, default: 14400 }, // seconds
    // Off unless set: a port of its own, which no proxy rule for the documents exposes.
    METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    LOG_LEVEL: { type: 'string', enum: LOG_LEVELS, default: 'info' },
    // The reverse proxy already keeps an access log, and a line per request costs throughput (docs/performance.md).
    LOG_REQUESTS: { type: 'boolean', default: false },
    TRUST_PROXY: { type: 'string', default: 'false' },
    // Only a proxy that overwrites X-Forwarded-Host may choose the customer with it.
    TRUST_FORWARDED_HOST: { type: 'boolean', default: false },
    // Enough for a proxy polling /readyz every few hundred ms to see it fail, and short
    // enough that `docker stop` ends within 2 s. Kubernetes needs more (README).
    SHUTDOWN_DRAIN_MS: { type: 'integer', minimum: 0, maximum: 60000, default: 500 } // milliseconds
  }
} as const

/** A good value for every variable, quoted in each error line. */
export const EXAMPLES: Record<keyof typeof ENV_SCHEMA.properties, string> = {
  MATRIX_SERVER: 'matrix.example.com:443',
  MATRIX_CLIENT_BASE_URL: 'https://matrix.example.com',
  MATRIX_IDENTITY_SERVER_BASE_URL: 'https://vector.im',
  MATRIX_CLIENT_EXTRA: '{"org.matrix.msc4143.rtc_foci":[{"type":"livekit","livekit_service_url":"https://livekit-jwt.example.com"}]}',
  MATRIX_RTC_LIVEKIT_SERVICE_URL: 'https://livekit-jwt.example.com',
  MATRIX_SUPPORT_CONTACTS: '[{"role":"m.role.admin","matrix_id":"@admin:example.com","email_address":"admin@example.com"}]',
  MATRIX_SUPPORT_PAGE: 'https://example.com/support',
  MATRIX_POLICY_SERVER_ED25519_KEY: 'MG/i+0z8Au1Zy4mUUc5O8uRYXqNCmqWBqmhf144tcYs',
  MATRIX_DOMAINS_FILE: '/etc/matrix-well-known/domains.json',
  DOMAINS_FILE_CHECK_MS: '5000',
  HOST: '0.0.0.0',
  PORT: '8080',
  CACHE_MAX_AGE: '14400',
  METRICS_PORT: '9100',
  LOG_LEVEL: 'info',
  LOG_REQUESTS: 'true',
  TRUST_PROXY: '127.0.0.1,10.0.0.0/8',
  TRUST_FORWARDED_HOST: 'true',
  SHUTDOWN_DRAIN_MS: '500'
}

export type Variable = keyof typeof EXAMPLES

/** The settings as env-schema gives them back: types coerced, defaults filled in, not yet checked further. */
export interface SettingValues {
  MATRIX_SERVER?: string
  MATRIX_CLIENT_BASE_URL?: string
  MATRIX_IDENTITY_SERVER_BASE_URL?: string
  MATRIX_CLIENT_EXTRA?: string
  MATRIX_RTC_LIVEKIT_SERVICE_URL?: string
  MATRIX_SUPPORT_CONTACTS?: string
  MATRIX_SUPPORT_PAGE?: string
  MATRIX_POLICY_SERVER_ED25519_KEY?: string
  MATRIX_DOMAINS_FILE?: string
  DOMAINS_FILE_CHECK_MS: number
  HOST: string
  PORT: number
  CACHE_MAX_AGE: number
  METRICS_PORT?: number
  LOG_LEVEL: LogLevel
  LOG_REQUESTS: boolean
  TRUST_PROXY: string
  TRUST_FORWARDED_HOST: boolean
  SHUTDOWN_DRAIN_MS: number
}
