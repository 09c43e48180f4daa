/** A dense row-major matrix. */
export interface Matrix {
  rows: number
  cols: number
  data: Float64Array
}

export const zeros = (rows: number, cols: number): Matrix => ({
  rows,
  cols,
  data: new Float64Array(rows * cols),
})

/** The matrices side by side; they must have the same number of rows. */
export function hstack(parts: readonly Matrix[]): Matrix {
  const rows = parts[0]?.rows ?? 0
  const out = zeros(
    rows,
    parts.reduce((sum, p) => sum + p.cols, 0),
  )
  let offset = 0
  for (const part of parts) {
    if (part.rows !== rows) throw new Error(`hstack: ${part.rows} rows, expected ${rows}`)
    for (let r = 0; r < rows; r++) {
      out.data.set(part.data.subarray(r * part.cols, (r + 1) * part.cols), r * out.cols + offset)
    }
    offset += part.cols
  }
  return out
}

export function argmaxRow(m: Matrix, r: number): number {
  let best = 0
  for (let c = 1; c < m.cols; c++) {
    if ((m.data[r * m.cols + c] as number) > (m.data[r * m.cols + best] as number)) best = c
  }
  return best
}
