export {
  ARTIFACT_FILES,
  downloadModelArtifact,
  type ModelArtifact,
  ModelArtifactError,
  readModelArtifact,
} from './artifact.ts'
export { LocalTrainer, type LocalTrainerOptions, type LocalTrainerVersions } from './local.ts'
export { type RetrainDecision, RetrainPolicy, type RetrainPolicyOptions } from './policy.ts'
export {
  type Candidate,
  type CandidateDetails,
  type CandidateGate,
  candidateGate,
  type PromotionOptions,
} from './registry.ts'
export { SageMakerTrainer, type SageMakerTrainerOptions } from './sagemaker.ts'
export {
  type Trainer,
  type TrainingJob,
  type TrainingRequest,
  type TrainingStatus,
  trainingJobName,
} from './trainer.ts'
export { RetrainTrigger, type RetrainTriggerOptions } from './trigger.ts'
