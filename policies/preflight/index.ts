import type { Policies } from '@pulumi/policy'
import { gpuNodeGroupsAutoscaled, nodesScaleDown } from './autoscaler.ts'
import { cidrLayout } from './cidr-layout.ts'
import { imagesBuilt } from './images-built.ts'
import { loadBalancerTls } from './load-balancer-tls.ts'
import { nameLimits } from './name-limits.ts'
import { securityGroupDescription } from './security-group-description.ts'

/**
 * The preflight set: AWS's and Kubernetes' rules that mocks can't see and that otherwise fail
 * only during `pulumi up` (or deploy something that doesn't work), checked offline.
 */
export const preflight: Policies = [
  securityGroupDescription,
  nameLimits,
  cidrLayout,
  gpuNodeGroupsAutoscaled,
  nodesScaleDown,
  loadBalancerTls,
  imagesBuilt,
]
