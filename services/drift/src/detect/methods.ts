/**
 * The drift methods, their defaults and drift rules as Evidently's stattests define them, and
 * Evidently's automatic choice among them.
 */
import {
  andersonDarling,
  binnedShares,
  chiSquareTest,
  countDistinct,
  cramerVonMises,
  empiricalMmd,
  energyDistance,
  eppsSingleton,
  fisherExactTest,
  gTest,
  hellinger,
  jensenShannon,
  klDivergence,
  ks2samp,
  mannWhitneyU,
  normedWasserstein,
  psi,
  tTest,
  tvdTest,
  zTest,
} from '../stats/index.ts'
import type { ColumnType, ColumnValues } from './columns.ts'

export const METHODS = [
  'ks',
  'chisquare',
  'ztest',
  'psi',
  'wasserstein',
  'jensenshannon',
  'kl_div',
  'fisher_exact',
  'g_test',
  'hellinger',
  'empirical_mmd',
  'TVD',
  'anderson',
  'cramer_von_mises',
  'ed',
  'es',
  'mannw',
  't_test',
] as const
export type Method = (typeof METHODS)[number]

export interface MethodResult {
  statistic: number
  /** Null for distances, which have none. */
  pValue: number | null
}

/**
 * Evidently's drift rules, which differ in whether the threshold itself counts: KS drifts at
 * p ≤ threshold, chi-square and z at p < threshold, distances at statistic ≥ threshold, except
 * energy distance, which drifts only above it.
 */
export type DriftRule =
  | 'p <= threshold'
  | 'p < threshold'
  | 'statistic >= threshold'
  | 'statistic > threshold'

interface MethodSpec {
  types: readonly ColumnType[]
  defaultThreshold: number
  rule: DriftRule
  run: (reference: ColumnValues, current: ColumnValues) => MethodResult
}

const BOTH: readonly ColumnType[] = ['numerical', 'categorical']
const NUMERICAL: readonly ColumnType[] = ['numerical']
const CATEGORICAL: readonly ColumnType[] = ['categorical']

// Numerical columns arrive as Float64Array, which only numerical columns are.
const numbers = (values: ColumnValues) => values as Float64Array
const distance = (statistic: number): MethodResult => ({ statistic, pValue: null })

export const METHOD_SPECS: Record<Method, MethodSpec> = {
  ks: {
    types: NUMERICAL,
    defaultThreshold: 0.05,
    rule: 'p <= threshold',
    run: (reference, current) => ks2samp(numbers(reference), numbers(current)),
  },
  chisquare: { types: BOTH, defaultThreshold: 0.05, rule: 'p < threshold', run: chiSquareTest },
  ztest: { types: BOTH, defaultThreshold: 0.05, rule: 'p < threshold', run: zTest },
  wasserstein: {
    types: NUMERICAL,
    defaultThreshold: 0.1,
    rule: 'statistic >= threshold',
    run: (reference, current) => distance(normedWasserstein(numbers(reference), numbers(current))),
  },
  jensenshannon: {
    types: BOTH,
    defaultThreshold: 0.1,
    rule: 'statistic >= threshold',
    run: (reference, current) => {
      // Evidently bins without filling empty bins here: the distance copes with zeros.
      const shares = binnedShares(reference, current, false)
      return distance(jensenShannon(shares.reference, shares.current))
    },
  },
  psi: {
    types: BOTH,
    defaultThreshold: 0.1,
    rule: 'statistic >= threshold',
    run: (reference, current) => {
      const shares = binnedShares(reference, current)
      return distance(psi(shares.reference, shares.current))
    },
  },
  kl_div: {
    types: BOTH,
    defaultThreshold: 0.1,
    rule: 'statistic >= threshold',
    run: (reference, current) => {
      const shares = binnedShares(reference, current)
      return distance(klDivergence(shares.reference, shares.current))
    },
  },
  // Evidently's fisher_exact, g_test, empirical_mmd and TVD default to 0.1 and drift at p < 0.1.
  fisher_exact: {
    types: CATEGORICAL,
    defaultThreshold: 0.1,
    rule: 'p < threshold',
    run: fisherExactTest,
  },
  g_test: { types: CATEGORICAL, defaultThreshold: 0.1, rule: 'p < threshold', run: gTest },
  hellinger: {
    types: BOTH,
    defaultThreshold: 0.1,
    rule: 'statistic >= threshold',
    run: (reference, current) => distance(hellinger(reference, current)),
  },
  empirical_mmd: {
    types: NUMERICAL,
    defaultThreshold: 0.1,
    rule: 'p < threshold',
    run: (reference, current) => empiricalMmd(numbers(reference), numbers(current)),
  },
  TVD: { types: CATEGORICAL, defaultThreshold: 0.1, rule: 'p < threshold', run: tvdTest },
  // Evidently's anderson (its p-value is scipy's interpolated significance level) and
  // cramer_von_mises default to 0.1; es, mannw and t_test to 0.05. All numerical only.
  anderson: {
    types: NUMERICAL,
    defaultThreshold: 0.1,
    rule: 'p < threshold',
    run: (reference, current) => andersonDarling(numbers(reference), numbers(current)),
  },
  cramer_von_mises: {
    types: NUMERICAL,
    defaultThreshold: 0.1,
    rule: 'p <= threshold',
    run: (reference, current) => cramerVonMises(numbers(reference), numbers(current)),
  },
  ed: {
    types: NUMERICAL,
    defaultThreshold: 0.1,
    rule: 'statistic > threshold',
    run: (reference, current) => distance(energyDistance(numbers(reference), numbers(current))),
  },
  es: {
    types: NUMERICAL,
    defaultThreshold: 0.05,
    rule: 'p < threshold',
    run: (reference, current) => eppsSingleton(numbers(reference), numbers(current)),
  },
  // One-sided, as Evidently asks: the reference tends to be smaller than the current data.
  mannw: {
    types: NUMERICAL,
    defaultThreshold: 0.05,
    rule: 'p < threshold',
    run: (reference, current) => mannWhitneyU(numbers(reference), numbers(current)),
  },
  t_test: {
    types: NUMERICAL,
    defaultThreshold: 0.05,
    rule: 'p < threshold',
    run: (reference, current) => tTest(numbers(reference), numbers(current)),
  },
}

/** Whether the method yields a p-value (and so takes part in multiple-testing correction). */
export const isPValueMethod = (method: Method) => METHOD_SPECS[method].rule.startsWith('p ')

/** Applies a drift rule to the method's p-value, or to its statistic for distances. */
export function isDrifted(rule: DriftRule, score: number, threshold: number): boolean {
  if (rule === 'p <= threshold') return score <= threshold
  if (rule === 'p < threshold') return score < threshold
  if (rule === 'statistic > threshold') return score > threshold
  return score >= threshold
}

// Evidently's switch: above this many reference rows p-value tests give way to distances.
const MAX_ROWS_FOR_P_VALUES = 1000
// At most this many distinct values (both samples together) make a numerical column discrete.
const MAX_DISCRETE_VALUES = 5

/**
 * Evidently's default stattest: up to 1000 reference rows, KS for numerical columns with more
 * than 5 distinct values, else chi-square, or the z-test for at most 2 values; above 1000 rows,
 * normed Wasserstein for such numerical columns and Jensen–Shannon for the rest.
 */
export function autoMethod(
  type: ColumnType,
  reference: ColumnValues,
  current: ColumnValues,
): Method {
  const distinct = countDistinct([reference, current], MAX_DISCRETE_VALUES)
  const continuous = type === 'numerical' && distinct > MAX_DISCRETE_VALUES
  if (reference.length <= MAX_ROWS_FOR_P_VALUES) {
    if (continuous) return 'ks'
    return distinct > 2 ? 'chisquare' : 'ztest'
  }
  return continuous ? 'wasserstein' : 'jensenshannon'
}

/** Whether a method can test a column of this type (KS and Wasserstein need numbers). */
export function methodFits(method: Method, type: ColumnType): boolean {
  return METHOD_SPECS[method].types.includes(type)
}
