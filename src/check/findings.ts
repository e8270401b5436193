// What `check` finds: each finding at one of three levels, about one step and
// sometimes one address, with a fix for what is not fine. `Findings` collects
// them as the steps run, concurrently.
import { readableText } from '../readable-text.js'

export type Level = 'ok' | 'warn' | 'fail'

/** The steps in the order a remote homeserver takes them; then what clients need, the client file first. */
export const STEPS = [
  'server name', 'server well-known', 'resolve', 'TLS', 'server keys', 'server version',
  'client well-known', 'client TLS', 'calls', 'sign-in', 'support well-known'
] as const
export type Step = typeof STEPS[number]
const FEDERATION_STEPS: ReadonlySet<Step> = new Set(STEPS.slice(0, 6))

export function isFederationStep (step: Step): boolean {
  return FEDERATION_STEPS.has(step)
}

export interface Finding {
  readonly step: Step
  readonly level: Level
  /** The IP address and port the finding is about, when it is about one. */
  readonly address?: string
  readonly detail: string
  /** What to change, in plain words, for a warning or a failure. */
  readonly fix?: string
}

const MAX_DETAIL_LENGTH = 1000

/** A finding whose level waits on whether remote servers' fallback (SRV, port 8448) works. */
interface AwaitingFallback {
  readonly finding: { level: Level }
  readonly levelIfFallbackWorks: Level
}

export class Findings {
  readonly #all: Finding[] = []
  readonly #awaitingFallback: AwaitingFallback[] = []

  get all (): readonly Finding[] {
    return this.#all
  }

  add (step: Step, level: Level, detail: string, fix?: string, address?: string): void {
    this.#record(step, level, detail, fix, address)
  }

  /**
   * A well-known problem remote servers survive when their fallback works:
   * `levelIfFallbackWorks` then, ✗ otherwise (see settleFallback).
   */
  addDependingOnFallback (step: Step, levelIfFallbackWorks: Level, detail: string, fix?: string): void {
    this.#awaitingFallback.push({ finding: this.#record(step, 'fail', detail, fix), levelIfFallbackWorks })
  }

  settleFallback (fallbackWorks: boolean): void {
    for (const { finding, levelIfFallbackWorks } of this.#awaitingFallback) {
      finding.level = fallbackWorks ? levelIfFallbackWorks : 'fail'
    }
  }

  #record (step: Step, level: Level, detail: string, fix?: string, address?: string): { level: Level } {
    // Much of a detail can come from the remote side: a line stays one readable line, escape sequences escaped.
    const shown = readableText(detail, MAX_DETAIL_LENGTH)
    const finding = {
      step, level, detail: shown, ...(fix === undefined ? {} : { fix }), ...(address === undefined ? {} : { address })
    }
    this.#all.push(finding)
    return finding
  }
}
