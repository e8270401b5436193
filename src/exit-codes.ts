// Every exit code the service and the check command end with, in one place:
// docs/errors.md lists the same table, and a test keeps the two in step.
export const EXIT_CODES = Object.freeze({
  /** The server stopped after a signal, the check found no failure, the self-test passed, or help was printed. */
  ok: 0,
  /** The server could not listen or met an unexpected error; the check found a failure; the health probe or the self-test failed. */
  failure: 1,
  /** The check command was called with a wrong argument. */
  usage: 2,
  // EX_CONFIG from sysexits.h: systemd and supervisors show it as a configuration error.
  /** A setting is invalid: the server refused to start. */
  config: 78
})
