// The apex's TLS as clients meet it when they fetch the client file: every
// client does, and some accept less than others (Element X on iOS failed
// against an apex that offered TLS 1.3 only, until TLS 1.2 was enabled).
import type { CheckContext } from './context.js'
import type { ExchangeError, TlsFacts } from './exchange.js'
import { notCheckedText } from './fetch.js'
import type { Step } from './findings.js'
import { formatEndpoint } from './network.js'
import { certificateExpiry } from './server-addresses.js'

const STEP: Step = 'client TLS'

/** The versions offered, the chain and the name, on the first address of the apex. */
export async function checkApexTls (context: CheckContext, hostname: string): Promise<void> {
  const { network, findings } = context
  const [endpoint] = await network.endpoints(hostname, 443)
  // No address: the client file's own finding already says so.
  if (endpoint === undefined) return
  const address = formatEndpoint(endpoint)
  const [best, upTo12] = await Promise.allSettled([network.handshake(endpoint, hostname), network.handshake(endpoint, hostname, 'TLSv1.2')])
  if (best.status === 'rejected') {
    const { message, connected, notChecked } = best.reason as ExchangeError
    if (notChecked !== undefined) findings.add(STEP, 'ok', notCheckedText(notChecked, message), undefined, address)
    // A connection never made is the client file's finding already.
    else if (connected) {
      findings.add(STEP, 'fail', `${hostname} accepts the connection, then: ${message}: clients cannot read the client file`,
        `serve https://${hostname} over TLS 1.2 and 1.3 with a valid certificate`, address)
    }
    return
  }
  const tls: TlsFacts = best.value
  if (tls.nameMismatch !== undefined || tls.untrusted !== undefined) {
    const why = tls.nameMismatch === undefined ? `is not trusted: ${tls.untrusted}` : `does not name ${hostname}: ${tls.nameMismatch}`
    findings.add(STEP, 'fail', `${tls.protocol}, the certificate ${why}: clients refuse the client file`,
      `give https://${hostname} a certificate from a public CA that names ${hostname}, with its full chain`, address)
    return
  }
  const expiry = certificateExpiry(context, tls, hostname)
  findings.add(STEP, expiry.level, expiry.detail, expiry.fix, address)
  if (upTo12.status === 'fulfilled') {
    findings.add(STEP, 'ok', 'TLS 1.2 offered too, as some clients need (Element X on iOS among them)', undefined, address)
  } else {
    findings.add(STEP, 'warn', 'only TLS 1.3 is offered: some clients cannot connect (Element X on iOS failed against such an apex)',
      `enable TLS 1.2 beside TLS 1.3 on the web server or proxy of ${hostname} (nginx: ssl_protocols TLSv1.2 TLSv1.3;)`, address)
  }
}
