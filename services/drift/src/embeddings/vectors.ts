/**
 * Vector cells: a JSON array of numbers of one fixed length per column, in CSV (`"[0.1, 0.2]"`)
 * or as an array in a captured row. Bounds are checked before anything is parsed or allocated.
 */
import { DriftInputError } from '../detect/columns.ts'
import type { Matrix } from './matrix.ts'

/** The widest vector a column may hold: wider tensors are images, not embeddings. */
export const MAX_VECTOR_LENGTH = 4096
// A double in JSON takes at most 24 characters and a separator: longer text is refused unparsed.
const MAX_VECTOR_TEXT = MAX_VECTOR_LENGTH * 32

/** Whether a cell is written as a vector: an array, or text that opens one. */
const looksLikeVector = (cell: unknown) =>
  Array.isArray(cell) || (typeof cell === 'string' && cell.trimStart().startsWith('['))

/**
 * Whether a column holds vectors: its first present cell is one. The others must be too, which
 * vectorMatrix checks, naming any that isn't (a stray text cell doesn't make the column text).
 */
export function isVectorColumn(cells: ReadonlyArray<unknown>): boolean {
  const first = cells.find((cell) => cell !== null && cell !== undefined)
  return first !== undefined && looksLikeVector(first)
}

export interface VectorSource {
  column: string
  /** 'reference' or 'current', for the message. */
  sample: string
  /** How to name cell r in a message: `line r + 2` for CSV, `row r + 1` by default. */
  where?: (r: number) => string
}

/**
 * The column's vectors as a matrix, missing cells (null) dropped. Throws DriftInputError naming
 * the column and row for a cell that is not an array of finite numbers, a length that differs
 * from the column's first, or one over MAX_VECTOR_LENGTH; `dim` fixes the length up front.
 */
export function vectorMatrix(
  cells: ReadonlyArray<unknown>,
  source: VectorSource,
  dim?: number,
): Matrix {
  const where = source.where ?? ((r: number) => `row ${r + 1}`)
  const fail = (r: number, problem: string): never => {
    throw new DriftInputError(`column '${source.column}', ${source.sample} ${where(r)}: ${problem}`)
  }
  const vectors: ArrayLike<unknown>[] = []
  let length = dim
  cells.forEach((cell, r) => {
    if (cell === null || cell === undefined) return
    const vector = toArray(cell, (problem) => fail(r, problem))
    if (vector.length > MAX_VECTOR_LENGTH) {
      fail(r, `${vector.length} values, over the limit of ${MAX_VECTOR_LENGTH}`)
    }
    if (vector.length === 0) fail(r, 'an empty vector')
    length ??= vector.length
    if (vector.length !== length) {
      fail(r, `${vector.length} values where the column's vectors have ${length}`)
    }
    for (let j = 0; j < vector.length; j++) {
      const value = vector[j]
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(r, `value ${j} is ${JSON.stringify(value) ?? String(value)}, not a finite number`)
      }
    }
    vectors.push(vector)
  })
  if (vectors.length === 0 || length === undefined) {
    throw new DriftInputError(
      `column '${source.column}' has no vectors in the ${source.sample} data`,
    )
  }
  const data = new Float64Array(vectors.length * length)
  for (let r = 0; r < vectors.length; r++) data.set(vectors[r] as ArrayLike<number>, r * length)
  return { rows: vectors.length, dim: length, data }
}

function toArray(cell: unknown, fail: (problem: string) => never): ArrayLike<unknown> {
  if (Array.isArray(cell)) return cell
  const invalid = () => fail('not a JSON array of numbers')
  if (typeof cell !== 'string') return invalid()
  if (cell.length > MAX_VECTOR_TEXT) {
    return fail(`${cell.length} characters, too long for ${MAX_VECTOR_LENGTH} values`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(cell)
  } catch {
    return invalid()
  }
  return Array.isArray(parsed) ? parsed : invalid()
}
