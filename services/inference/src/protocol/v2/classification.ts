import { badRequest } from '../../errors/index.ts'
import { fromHalf, type TensorData } from '../../tensor/index.ts'

/**
 * Triton's classification extension: replaces a score tensor [batch, classes] by a BYTES tensor
 * [batch, k] of "score:index[:label]" strings, best first.
 */
export function classify(output: TensorData, k: number, labels: string[] | undefined): TensorData {
  if (output.datatype === 'BYTES' || output.datatype === 'BOOL') {
    throw badRequest(`output '${output.name}' holds ${output.datatype}, which can't be classified`)
  }
  const rows = output.shape.length > 1 ? (output.shape[0] as number) : 1
  const classes = output.data.length / Math.max(rows, 1)
  const top = Math.min(k, classes)
  const data: string[] = []
  for (let r = 0; r < rows; r++) {
    const scores = Array.from({ length: classes }, (_, i) => {
      const raw = output.data[r * classes + i] as number | bigint
      return output.datatype === 'FP16' ? fromHalf(raw as number) : Number(raw)
    })
    const order = scores
      .map((_, i) => i)
      .sort((a, b) => (scores[b] as number) - (scores[a] as number))
    for (const i of order.slice(0, top)) {
      const label = labels?.[i]
      data.push(`${scores[i]}:${i}${label === undefined ? '' : `:${label}`}`)
    }
  }
  return {
    name: output.name,
    datatype: 'BYTES',
    shape: output.shape.length > 1 ? [rows, top] : [top],
    data,
  }
}
