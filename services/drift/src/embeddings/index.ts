/**
 * Embedding drift: a column of fixed-length vectors (an image or text encoder's embeddings)
 * tested as a whole, with Evidently's four methods and their defaults (see ../../README.md).
 */
import { DriftInputError } from '../detect/columns.ts'
import { METHOD_SPECS, type Method } from '../detect/methods.ts'
import { DISTANCES, type DistanceName, meanDistance } from './distance.ts'
import { type Matrix, percentile } from './matrix.ts'
import { maximumMeanDiscrepancy } from './mmd.ts'
import { classifierAuc } from './model.ts'
import { driftedShare } from './ratio.ts'

export { DISTANCES, type DistanceName, vectorDistance } from './distance.ts'
export type { Matrix } from './matrix.ts'
export { rocAuc } from './roc.ts'
export {
  isVectorColumn,
  MAX_VECTOR_LENGTH,
  type VectorSource,
  vectorMatrix,
} from './vectors.ts'

export const EMBEDDING_METHODS = ['model', 'ratio', 'mmd', 'distance'] as const
export type EmbeddingMethod = (typeof EMBEDDING_METHODS)[number]

export interface EmbeddingOptions {
  /** Evidently's default metric uses `model`. */
  method?: EmbeddingMethod
  /** The statistic drifts above it (strictly), when not bootstrapped. */
  threshold?: number
  /**
   * Compare with a quantile of the statistic under no drift instead of the threshold: random
   * classifiers' AUCs (model), reference-vs-reference resamples (distance, mmd). Evidently's
   * default: on for `model` with fewer than 1,000 reference rows, off otherwise; `ratio` has none.
   */
  bootstrap?: boolean
  /** The quantile bootstrapping compares with: 0.95, or 0.05 for mmd (Evidently's defaults). */
  quantileProbability?: number
  /** For `distance`: euclidean (default), cosine, cityblock or chebyshev. */
  distance?: DistanceName
  /** For `ratio`: the numerical method testing each component (wasserstein) and its threshold. */
  componentMethod?: Method
  componentThreshold?: number
}

export interface EmbeddingDrift {
  type: 'embedding'
  method: EmbeddingMethod
  dimension: number
  /** ROC AUC (model), share of drifted components (ratio), max(MMD²_u, 0), or the distance. */
  statistic: number
  /** mmd's permutation p-value (informative: the decision is Evidently's); null for the rest. */
  p_value: number | null
  /** What the statistic was compared with: the threshold, or the bootstrap quantile. */
  threshold: number
  bootstrap: boolean
  drifted: boolean
}

interface MethodDefaults {
  threshold: number
  quantile: number
}

const DEFAULTS: Record<EmbeddingMethod, MethodDefaults> = {
  model: { threshold: 0.55, quantile: 0.95 },
  ratio: { threshold: 0.2, quantile: 0.95 },
  mmd: { threshold: 0.015, quantile: 0.05 },
  distance: { threshold: 0.2, quantile: 0.95 },
}
// Evidently's EmbeddingsDriftMetric bootstraps its default model below this many reference rows.
const BOOTSTRAP_BELOW_ROWS = 1000
// MMD²_u divides by m(m − 1) and the classifier needs both samples in each half.
const MIN_ROWS = 2

/**
 * Tests `current`'s vectors against `reference`'s. Drift when the statistic exceeds the threshold
 * or, bootstrapped, the quantile (strictly, as Evidently). Deterministic: every draw is seeded.
 */
export function embeddingDrift(
  column: string,
  reference: Matrix,
  current: Matrix,
  options: EmbeddingOptions = {},
): EmbeddingDrift {
  const method = options.method ?? 'model'
  if (!EMBEDDING_METHODS.includes(method)) {
    throw new DriftInputError(
      `column '${column}': unknown embedding method '${method}' (known: ${EMBEDDING_METHODS.join(', ')})`,
    )
  }
  if (reference.dim !== current.dim) {
    throw new DriftInputError(
      `column '${column}': reference vectors have ${reference.dim} values, current ones ${current.dim}`,
    )
  }
  for (const [sample, matrix] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    if (matrix.rows < MIN_ROWS) {
      throw new DriftInputError(
        `column '${column}': embedding drift needs at least ${MIN_ROWS} ${sample} vectors, not ${matrix.rows}`,
      )
    }
  }
  const defaults = DEFAULTS[method]
  const bootstrap =
    method !== 'ratio' &&
    (options.bootstrap ?? (method === 'model' && reference.rows < BOOTSTRAP_BELOW_ROWS))
  const quantile = options.quantileProbability ?? defaults.quantile
  const run = runMethod(column, method, reference, current, bootstrap, options)
  const threshold = run.bootstrap
    ? percentile(run.bootstrap, quantile)
    : (options.threshold ?? defaults.threshold)
  if (!Number.isFinite(threshold)) {
    throw new DriftInputError(`column '${column}': threshold must be a number, not ${threshold}`)
  }
  return {
    type: 'embedding',
    method,
    dimension: reference.dim,
    statistic: method === 'mmd' ? Math.max(run.statistic, 0) : run.statistic,
    p_value: run.pValue ?? null,
    threshold,
    bootstrap,
    // mmd decides on MMD²_u itself, which may be negative, as Evidently does.
    drifted: run.statistic > threshold,
  }
}

interface Run {
  statistic: number
  pValue?: number
  bootstrap?: Float64Array
}

function runMethod(
  column: string,
  method: EmbeddingMethod,
  reference: Matrix,
  current: Matrix,
  bootstrap: boolean,
  options: EmbeddingOptions,
): Run {
  if (method === 'model') return classifierAuc(reference, current, bootstrap)
  if (method === 'distance') {
    const name = options.distance ?? 'euclidean'
    if (!DISTANCES.includes(name)) {
      throw new DriftInputError(
        `column '${column}': unknown distance '${name}' (known: ${DISTANCES.join(', ')})`,
      )
    }
    return meanDistance(reference, current, name, bootstrap)
  }
  if (method === 'mmd') {
    const result = maximumMeanDiscrepancy(reference, current, bootstrap)
    return { statistic: result.mmd2u, pValue: result.pValue, bootstrap: result.bootstrap }
  }
  const componentMethod = options.componentMethod ?? 'wasserstein'
  const spec = METHOD_SPECS[componentMethod]
  if (!spec?.types.includes('numerical')) {
    throw new DriftInputError(
      `column '${column}': '${componentMethod}' can't test an embedding's numerical components`,
    )
  }
  const componentThreshold = options.componentThreshold ?? spec.defaultThreshold
  return { statistic: driftedShare(reference, current, componentMethod, componentThreshold) }
}
