/** Infera's drift statistics: each test as Evidently runs it, each number as scipy computes it. */

export { type AndersonResult, andersonDarling } from './anderson/index.ts'
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
export { type CramerVonMisesResult, cramerVonMises } from './cramer_von_mises/index.ts'
export { energyDistance } from './ed/index.ts'
export { type EppsSingletonResult, eppsSingleton } from './es/index.ts'
export { fisherExact, fisherExactTest, type Table2x2 } from './fisher/index.ts'
export { gTest, gTestGof } from './gtest/index.ts'
export { hellinger } from './hellinger/index.ts'
export { jensenShannon } from './jensenshannon/index.ts'
export { klDivergence, normalize, relativeEntropy, relEntr } from './kl/index.ts'
export { type KsResult, ks2samp, kstwoSf, smirnovSf } from './ks/index.ts'
export { type MannWhitneyResult, mannWhitneyU } from './mannw/index.ts'
export { empiricalMmd, MMD_MAX_SAMPLE } from './mmd/index.ts'
export { psi } from './psi/index.ts'
export {
  besselKScaled,
  betaInc,
  chi2Sf,
  gammaQ,
  lnGamma,
  normalSf,
  studentTSf,
} from './special/index.ts'
export { type TTestResult, tTest } from './t_test/index.ts'
export { TVD_MAX_VALUES, totalVariation, tvdTest } from './tvd/index.ts'
export { normedWasserstein, populationStd, wassersteinDistance } from './wasserstein/index.ts'
export { compareCategories, zTest } from './ztest/index.ts'
