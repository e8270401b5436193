// Text that came from outside — a setting's value, a file name, what a remote
// server answered — made fit to print on one line of a terminal or a log:
// control characters (C0, DEL, C1), the Unicode line and paragraph separators
// and the bidirectional controls escaped, and the whole cut to a readable length.

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export function readableText (text: string, maxLength: number): string {
  const escaped = text.replace(UNPRINTABLE, character => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return escaped.length > maxLength ? `${escaped.slice(0, maxLength - 1)}…` : escaped
}
