/**
 * Evidently's `ratio` embedding drift: each component is tested as a numerical column with a
 * tabular method (normed Wasserstein at 0.1 by default); the score is the share that drift.
 */
import { isDrifted, METHOD_SPECS, type Method } from '../detect/methods.ts'
import { component, type Matrix } from './matrix.ts'

export function driftedShare(
  reference: Matrix,
  current: Matrix,
  method: Method,
  threshold: number,
): number {
  const spec = METHOD_SPECS[method]
  let drifted = 0
  for (let j = 0; j < reference.dim; j++) {
    const result = spec.run(component(reference, j), component(current, j))
    if (isDrifted(spec.rule, result.pValue ?? result.statistic, threshold)) drifted++
  }
  return drifted / reference.dim
}
