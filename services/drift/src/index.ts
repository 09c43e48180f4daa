// The drift service's public surface: what its adapters, the CLI and tests import. The wiring is
// in service.ts; the Node server in adapter/node, which imports this file.
export { compareFiles, comparisonEvaluation } from './compare/index.ts'
export { DriftInputError, METHODS } from './detect/index.ts'
export { EMBEDDING_METHODS } from './embeddings/index.ts'
export {
  MemoryReferences,
  type Reference,
  type ReferenceSource,
  RegistryReferences,
  RepositoryReferences,
} from './references/index.ts'
export { renderDriftReport } from './report/index.ts'
export {
  type CandidateDetails,
  LocalTrainer,
  type LocalTrainerOptions,
  type LocalTrainerVersions,
  type PromotionOptions,
  SageMakerTrainer,
  type Trainer,
} from './retrain/index.ts'
export { createDriftService, type DriftSetup } from './service.ts'
export { TableError } from './table/index.ts'
