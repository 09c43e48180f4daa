/** The registry's input rules, the same in process and over HTTP (the client imports them too). */

/** Model names: path segments, file names and label values, so a short plain pattern. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/
/**
 * Version numbers stop well below PostgreSQL's integer: a caller can't register the last number and
 * leave none for the next registration (retraining's included).
 */
export const MAX_VERSION = 1_000_000
/** The most models, or audit entries, one page holds. */
export const MAX_PAGE = 200
/** A model view lists its newest versions and audit entries, and counts the rest. */
export const MAX_LISTED_VERSIONS = 100
export const MAX_LISTED_AUDIT = 100
/** Echoed input is cut to this many characters: a refusal never grows with what it refuses. */
const ECHO = 64

/** A value put into an error message: quoted, control characters escaped, cut short. */
export const echo = (value: unknown) => {
  const text = String(value)
  return `'${JSON.stringify(text.length > ECHO ? `${text.slice(0, ECHO)}…` : text).slice(1, -1)}'`
}
