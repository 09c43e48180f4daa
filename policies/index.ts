// The CrossGuard pack: `pulumi preview --policy-pack policies [--policy-pack-config FILE]`.
// Constructing the pack starts its gRPC server, so tests import ./all.ts instead.
import { PolicyPack } from '@pulumi/policy'
import { policies } from './all.ts'

new PolicyPack('infera-ml-platform', {
  description:
    "Infera: encrypted private data, audited clusters, hardened pods, tainted GPUs, and preflight checks of AWS's and Kubernetes' rules.",
  enforcementLevel: 'mandatory',
  policies,
})
