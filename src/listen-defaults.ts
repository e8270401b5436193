// Where the service listens unless told otherwise, shared by the configuration
// and the health probe (which loads nothing else).
export const LISTEN_DEFAULTS = Object.freeze({
  host: '0.0.0.0', // every interface: the proxy reaches us from outside the container
  port: 8080
})
