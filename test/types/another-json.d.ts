// another-json: the canonical JSON of matrix-js-sdk, an implementation we did not
// write, so that the key test signs with something other than what it checks.
declare module 'another-json' {
  const anotherJson: { stringify: (value: unknown) => string }
  export default anotherJson
}
