export { LocalTrainer, type LocalTrainerOptions } from './local.ts'
export { type RetrainDecision, RetrainPolicy, type RetrainPolicyOptions } from './policy.ts'
export { SageMakerTrainer, type SageMakerTrainerOptions } from './sagemaker.ts'
export {
  type Trainer,
  type TrainingJob,
  type TrainingRequest,
  type TrainingStatus,
  trainingJobName,
} from './trainer.ts'
export { RetrainTrigger, type RetrainTriggerOptions } from './trigger.ts'
