// What JSON.parse hides about a JSON text, found in one pass over it: how deep
// it nests, number literals that would not be served as written, and a key that
// appears twice in the top-level object. JSON.parse itself stays the judge of
// whether the text is JSON at all.

// Far deeper than any document needs, and far from the recursion limit of the
// code that walks and serialises it.
export const MAX_JSON_DEPTH = 32

export interface JsonTextFacts {
  readonly depth: number
  /** A number literal that would be served as another value (1e999 as null, a 23-digit integer as 1.2345678901234568e+22). */
  readonly lossyNumber: string | undefined
  /** The first key the top-level object names twice: JSON.parse keeps the last silently. */
  readonly duplicateTopLevelKey: string | undefined
  /** The first string (key or value) holding a control character, which no document needs. */
  readonly controlCharacterIn: string | undefined
}

/** The problem with a JSON text that JSON.parse accepted, in plain words, or undefined. */
export function jsonTextProblem (facts: JsonTextFacts): string | undefined {
  if (facts.depth > MAX_JSON_DEPTH) return `nests ${facts.depth} levels deep: at most ${MAX_JSON_DEPTH}`
  if (facts.lossyNumber !== undefined) {
    const served = JSON.stringify(Number(facts.lossyNumber))
    return `has the number ${facts.lossyNumber.slice(0, 40)}, which would be served as ${served}: write ${served === 'null' ? 'it as a string' : `${served}, or the value as a string`}`
  }
  if (facts.controlCharacterIn !== undefined) {
    const shown = JSON.stringify(facts.controlCharacterIn.slice(0, 40)).replace(/\u007f/g, '\\u007f')
    return `has a control character in ${shown}`
  }
  return undefined
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
export const CONTROL = /[\u0000-\u001f\u007f]/
// A string literal can only decode to a control character through an escape, or
// hold one raw (DEL is valid raw JSON): the others need no decoding to check,
// which was most of the time a domains file of thousands of hosts took to load.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const MAY_HOLD_CONTROL = /[\\\u0000-\u001f\u007f]/
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[[\]{}:]/g

export function jsonTextFacts (text: string): JsonTextFacts {
  let depth = 0
  let maxDepth = 0
  let lossyNumber: string | undefined
  let duplicateTopLevelKey: string | undefined
  let controlCharacterIn: string | undefined
  const topLevelKeys = new Set<string>()
  // The last token when it was a string literal, decoded only if it turns out to be a top-level key.
  let previousString: string | undefined
  for (const [token] of text.matchAll(TOKEN)) {
    const first = token[0]
    if (first === '{' || first === '[') {
      depth++
      if (depth > maxDepth) maxDepth = depth
    } else if (first === '}' || first === ']') {
      depth--
    } else if (first === ':') {
      if (depth === 1 && previousString !== undefined && duplicateTopLevelKey === undefined) {
        const key = JSON.parse(previousString) as string
        if (topLevelKeys.has(key)) duplicateTopLevelKey = key
        topLevelKeys.add(key)
      }
    } else if (first !== '"' && lossyNumber === undefined && !survives(token)) {
      lossyNumber = token
    }
    previousString = first === '"' ? token : undefined
    if (previousString !== undefined && controlCharacterIn === undefined && MAY_HOLD_CONTROL.test(token)) {
      const value = JSON.parse(token) as string
      if (CONTROL.test(value)) controlCharacterIn = value
    }
  }
  return { depth: maxDepth, lossyNumber, duplicateTopLevelKey, controlCharacterIn }
}

/**
 * Whether the number is served as the value written: finite, and an integer
 * keeps every digit (a decimal or exponent form is a double by nature and keeps
 * its value, if not its spelling).
 */
function survives (literal: string): boolean {
  const value = Number(literal)
  if (!Number.isFinite(value)) return false
  return !/^-?\d+$/.test(literal) || JSON.stringify(value) === literal
}
