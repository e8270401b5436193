// Work on a whole domains file (taking in the worker's hosts, comparing,
// preparing) is done a slice of hosts at a time on the main thread, yielding
// between slices so that answers go on in between: a request that arrives
// during a reload waits for one slice at most. docs/performance.md has what a
// slice costs and why it is this size.
export const HOSTS_PER_SLICE = 250

/** Lets the event loop answer what is waiting before the next slice. */
export function nextSlice (): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}
