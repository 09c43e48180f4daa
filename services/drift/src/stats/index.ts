/** Infera's drift statistics: each test as Evidently runs it, each number as scipy computes it. */
export {
  type BinnedShares,
  binnedShares,
  type Category,
  type CategoryCounts,
  categoryCounts,
  countDistinct,
  histogram,
  sturgesEdges,
} from './binning/index.ts'
export { chiSquareGof, chiSquareTest, type TestResult } from './chisquare/index.ts'
export { benjaminiHochberg, bonferroni } from './correction/index.ts'
export { jensenShannon } from './jensenshannon/index.ts'
export { klDivergence, normalize, relativeEntropy, relEntr } from './kl/index.ts'
export { type KsResult, ks2samp, kstwoSf, smirnovSf } from './ks/index.ts'
export { psi } from './psi/index.ts'
export { chi2Sf, gammaQ, lnGamma, normalSf } from './special/index.ts'
export { normedWasserstein, populationStd, wassersteinDistance } from './wasserstein/index.ts'
export { compareCategories, zTest } from './ztest/index.ts'
