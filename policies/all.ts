import type { Policies } from '@pulumi/policy'
import { containersNonRoot } from './containers-non-root.ts'
import { containersResourceLimits } from './containers-resource-limits.ts'
import { containersSecretEnv } from './containers-secret-env.ts'
import { eksControlPlaneLogging } from './eks-control-plane-logging.ts'
import { eksPrivateEndpoint } from './eks-private-endpoint.ts'
import { gpuNodeGroupsTainted } from './gpu-node-groups-tainted.ts'
import { gpuPods } from './gpu-pods.ts'
import { imagesPinned } from './images-pinned.ts'
import { preflight } from './preflight/index.ts'
import { rdsBackupsRetained } from './rds-backups-retained.ts'
import { rdsDeletionProtection } from './rds-deletion-protection.ts'
import { rdsNotPublic } from './rds-not-public.ts'
import { rdsStorageEncrypted } from './rds-storage-encrypted.ts'
import { s3BucketEncryption } from './s3-bucket-encryption.ts'
import { s3PublicAccessBlock } from './s3-public-access-block.ts'

/** Every policy of the pack: what `index.ts` packs and what tests run without starting it. */
export const policies: Policies = [
  s3BucketEncryption,
  s3PublicAccessBlock,
  rdsStorageEncrypted,
  rdsNotPublic,
  rdsBackupsRetained,
  rdsDeletionProtection,
  eksPrivateEndpoint,
  eksControlPlaneLogging,
  containersNonRoot,
  containersResourceLimits,
  containersSecretEnv,
  imagesPinned,
  gpuNodeGroupsTainted,
  gpuPods,
  ...preflight,
]
