// The server's limits. The documents take no body and fit in a packet: small
// limits leave slow or hostile clients nothing to hold on to.
export const SERVER_LIMITS = Object.freeze({
  bodyLimit: 1024, // bytes; a request body is read only to be refused
  headersTimeout: 10_000, // ms to receive the request line and headers
  requestTimeout: 10_000, // ms for the whole request
  // Above the idle timeout of common proxies and load balancers (60 s), so that
  // they, not we, close an idle upstream connection and never reuse a closing one.
  keepAliveTimeout: 72_000, // ms
  maxHeaderSize: 16_384, // bytes, Node's default: apex requests can carry large cookies
  connectionsCheckingInterval: 1000, // ms between checks of the two timeouts above
  // After the listener closes: time for requests already on their way over open
  // connections to arrive and be answered, before idle connections are closed.
  closeLingerMs: 1000
})

export type ServerLimits = { readonly [Limit in keyof typeof SERVER_LIMITS]: number }
