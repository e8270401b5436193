// Single-domain mode: the MATRIX_* settings assembled into documents. Each
// variable is checked on its own first, then the document as a whole through
// its builder in documents.ts, so that every problem is reported against the
// variable that causes it.
import {
  clientDocument,
  policyServerDocument,
  serverDocument,
  supportDocument,
  type BuiltDocument,
  type DocumentBodies,
  type DocumentName
} from './documents.js'
import { clientExtraProblem, obsoleteKeyWarnings, RTC_FOCI_KEY } from './client-document.js'
import { httpsUrlProblem, parseJson, parseServerName, serverNameWarnings, supportContactsProblem } from './validators.js'

/** The variables that describe the documents of one server name. */
export const DOCUMENT_VARIABLES = [
  'MATRIX_SERVER', 'MATRIX_CLIENT_BASE_URL', 'MATRIX_IDENTITY_SERVER_BASE_URL', 'MATRIX_CLIENT_EXTRA',
  'MATRIX_RTC_LIVEKIT_SERVICE_URL', 'MATRIX_SUPPORT_CONTACTS', 'MATRIX_SUPPORT_PAGE', 'MATRIX_POLICY_SERVER_ED25519_KEY'
] as const
export type DocumentVariable = typeof DOCUMENT_VARIABLES[number]
export type DocumentSettings = Readonly<Partial<Record<DocumentVariable, string>>>

/** Records a problem with one variable; start-up then stops. */
export type ReportProblem = (variable: DocumentVariable, problem: string) => void

/** The documents the settings describe; a bad variable is reported and its document left out. */
export function documentsFromSettings (settings: DocumentSettings, report: ReportProblem,
  warnings: string[]): DocumentBodies {
  const documents: Partial<Record<DocumentName, string>> = {}

  if (settings.MATRIX_SERVER !== undefined) {
    const parsed = parseServerName(settings.MATRIX_SERVER)
    if (parsed.value !== undefined) {
      warnings.push(...serverNameWarnings(settings.MATRIX_SERVER, parsed.value).map(text => `MATRIX_SERVER: ${text}`))
    }
    documents.server = bodyOrProblem(serverDocument(settings.MATRIX_SERVER), 'MATRIX_SERVER', report)
  }

  const client = composeClient(settings, report, warnings)
  if (client !== undefined) documents.client = bodyOrProblem(clientDocument(client), 'MATRIX_CLIENT_EXTRA', report)

  const support = composeSupport(settings, report)
  if (support !== undefined) documents.support = bodyOrProblem(supportDocument(support), 'MATRIX_SUPPORT_CONTACTS', report)

  if (settings.MATRIX_POLICY_SERVER_ED25519_KEY !== undefined) {
    const key = settings.MATRIX_POLICY_SERVER_ED25519_KEY
    documents.policy_server = bodyOrProblem(policyServerDocument(key), 'MATRIX_POLICY_SERVER_ED25519_KEY', report)
  }

  return documents
}

/**
 * The body, or the builder's problem reported against `variable`. A variable
 * that fills part of a document is checked on its own first, so what is left
 * for the builder there is the document as a whole: its size.
 */
function bodyOrProblem (document: BuiltDocument, variable: DocumentVariable,
  report: ReportProblem): string | undefined {
  if (document.problem === undefined) return document.body
  report(variable, document.problem.problem)
  return undefined
}

function checkedUrl (settings: DocumentSettings, variable: DocumentVariable,
  report: ReportProblem): string | undefined {
  const value = settings[variable]
  if (value === undefined) return undefined
  const problem = httpsUrlProblem(value)
  if (problem === undefined) return value
  report(variable, problem)
  return undefined
}

function checkedJson (settings: DocumentSettings, variable: 'MATRIX_CLIENT_EXTRA' | 'MATRIX_SUPPORT_CONTACTS',
  check: (value: unknown) => string | undefined, report: ReportProblem): unknown {
  const text = settings[variable]
  if (text === undefined) return undefined
  const parsed = parseJson(text)
  const problem = parsed.problem ?? check(parsed.value)
  if (problem === undefined) return parsed.value
  report(variable, problem)
  return undefined
}

/**
 * MATRIX_RTC_LIVEKIT_SERVICE_URL: one or more JWT service URLs, separated by
 * commas, each by the rules of base_url; as Element Call's foci.
 */
function livekitFoci (settings: DocumentSettings, report: ReportProblem): object[] | undefined {
  const value = settings.MATRIX_RTC_LIVEKIT_SERVICE_URL
  if (value === undefined) return undefined
  const urls = value.split(',').map(url => url.trim())
  for (const [index, url] of urls.entries()) {
    const problem = url === '' ? 'is empty' : urls.indexOf(url) !== index ? 'is named twice' : httpsUrlProblem(url)
    if (problem === undefined) continue
    report('MATRIX_RTC_LIVEKIT_SERVICE_URL', urls.length === 1 ? problem : `has URL ${index + 1}, which ${problem}`)
    return undefined
  }
  return urls.map(url => ({ type: 'livekit', livekit_service_url: url }))
}

/** The client document from its variables (a bad one is left out: its problem already stops start-up). */
function composeClient (settings: DocumentSettings, report: ReportProblem, warnings: string[]): object | undefined {
  const baseUrl = checkedUrl(settings, 'MATRIX_CLIENT_BASE_URL', report)
  const identityServer = checkedUrl(settings, 'MATRIX_IDENTITY_SERVER_BASE_URL', report)
  const extra = checkedJson(settings, 'MATRIX_CLIENT_EXTRA', clientExtraProblem, report) as Record<string, unknown> | undefined
  const foci = livekitFoci(settings, report)
  if (settings.MATRIX_CLIENT_BASE_URL === undefined) {
    for (const variable of ['MATRIX_IDENTITY_SERVER_BASE_URL', 'MATRIX_CLIENT_EXTRA', 'MATRIX_RTC_LIVEKIT_SERVICE_URL'] as const) {
      if (settings[variable] !== undefined) report(variable, 'needs MATRIX_CLIENT_BASE_URL, the homeserver the client document points to')
    }
    return undefined
  }
  if (foci !== undefined && extra !== undefined && Object.hasOwn(extra, RTC_FOCI_KEY)) {
    report('MATRIX_RTC_LIVEKIT_SERVICE_URL', `cannot be combined with "${RTC_FOCI_KEY}" in MATRIX_CLIENT_EXTRA: list every focus in one place`)
    return undefined
  }
  if (extra !== undefined) warnings.push(...obsoleteKeyWarnings(extra).map(warning => `MATRIX_CLIENT_EXTRA: ${warning}`))
  if (baseUrl === undefined) return undefined
  const document: Record<string, unknown> = { 'm.homeserver': { base_url: baseUrl } }
  if (identityServer !== undefined) document['m.identity_server'] = { base_url: identityServer }
  if (foci !== undefined) document[RTC_FOCI_KEY] = foci
  return { ...document, ...extra }
}

/** The support document from its variables (a bad one is left out: its problem already stops start-up). */
function composeSupport (settings: DocumentSettings, report: ReportProblem): object | undefined {
  const contacts = checkedJson(settings, 'MATRIX_SUPPORT_CONTACTS', supportContactsProblem, report)
  const supportPage = checkedUrl(settings, 'MATRIX_SUPPORT_PAGE', report)
  if (contacts === undefined && supportPage === undefined) return undefined
  const document: Record<string, unknown> = {}
  if (contacts !== undefined) document.contacts = contacts
  if (supportPage !== undefined) document.support_page = supportPage
  return document
}
