/**
 * What an incoming value stands for in a feature of a given type. Missing: null, undefined, NaN,
 * ±Infinity and the empty string. Numerical features take numbers and numeric strings ("3.5",
 * " -1e3 "; also "NaN" and "Infinity", as missing); categorical features take strings, and numbers
 * when the reference's categories are numbers. Anything else — booleans, objects, arrays, text in
 * a numerical feature, a number among text categories — is of the wrong type.
 */

// Decimal notation only: Number() would also take "0x1f", "0b1" and "".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i

/** A finite number; NaN when missing; undefined when of the wrong type. */
export function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value - value === 0 ? value : Number.NaN
  if (value === null || value === undefined) return Number.NaN
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (DECIMAL.test(text)) {
    const number = Number(text)
    return Number.isFinite(number) ? number : Number.NaN
  }
  return text === '' || NON_FINITE.test(text) ? Number.NaN : undefined
}

/**
 * The category key (numbers in their JavaScript string form, as the reference's number
 * categories are keyed); null when missing; undefined when of the wrong type.
 */
export function readCategory(value: unknown, numbersAllowed: boolean): string | null | undefined {
  if (typeof value === 'string') return value === '' ? null : value
  if (value === null || value === undefined) return null
  if (typeof value !== 'number') return undefined
  if (value - value !== 0) return null
  return numbersAllowed ? String(value) : undefined
}

/** Whether a category key is how readCategory writes a number. */
export function isNumberKey(key: string): boolean {
  return key !== '' && String(Number(key)) === key
}
