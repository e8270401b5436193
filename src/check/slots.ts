// A fixed number of connections at once: a DNS answer with hundreds of
// targets, each with its addresses, would otherwise open every connection at
// the same moment and run this process out of file descriptors.
export class Slots {
  readonly #size: number
  #busy = 0
  readonly #waiting: Array<() => void> = []

  constructor (size: number) {
    this.#size = size
  }

  /** Runs `task` once a slot is free, and frees the slot when it settles. */
  async run<T> (task: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>(resolve => this.#waiting.push(resolve))
    else this.#busy++
    try {
      return await task()
    } finally {
      const next = this.#waiting.shift()
      if (next === undefined) this.#busy--
      else next()
    }
  }
}
