import type { ResourceValidationPolicy } from '@pulumi/policy'
import { GPU_RESOURCE } from './lib/kubernetes.ts'
import { forTypes } from './lib/resources.ts'

/** The label the NVIDIA device plugin's DaemonSet selects nodes by without node-feature-discovery. */
export const GPU_PRESENT_LABEL = 'nvidia.com/gpu.present'

// GPU instance families (NVIDIA): the G and P families.
const GPU_INSTANCE = /^(g\d+[a-z]*|p\d+[a-z]*)\./

/** Whether a node group's AMI, instance types or component flag make it a GPU group. */
export const isGpuGroup = (props: Record<string, unknown>) =>
  props.gpu === true ||
  /NVIDIA|GPU/.test(String(props.amiType ?? '')) ||
  ((props.instanceTypes as string[] | undefined) ?? []).some((type) => GPU_INSTANCE.test(type))

/** The EKS node group, and @pulumi/eks's component (what a program declares, and mocks see). */
export const NODE_GROUPS = ['aws:eks/nodeGroup:NodeGroup', 'eks:index:ManagedNodeGroup']

/**
 * GPU node groups carry the `nvidia.com/gpu` NoSchedule taint, so that only GPU pods land on the
 * most expensive nodes, and the `nvidia.com/gpu.present` label, without which the device plugin
 * schedules nowhere and no pod ever gets a GPU.
 */
export const gpuNodeGroupsTainted: ResourceValidationPolicy = {
  name: 'gpu-node-groups-tainted',
  description: `GPU node groups must be tainted ${GPU_RESOURCE}:NoSchedule and labelled ${GPU_PRESENT_LABEL}.`,
  enforcementLevel: 'mandatory',
  validateResource: forTypes(NODE_GROUPS, (props, _args, report) => {
    if (!isGpuGroup(props)) return
    const taints: { key?: string; effect?: string }[] = props.taints ?? []
    if (!taints.some((t) => t.key === GPU_RESOURCE && t.effect === 'NO_SCHEDULE'))
      report(`a GPU node group must have the taint ${GPU_RESOURCE} with effect NO_SCHEDULE`)
    if (props.labels?.[GPU_PRESENT_LABEL] !== 'true')
      report(`a GPU node group must have the label ${GPU_PRESENT_LABEL}: "true"`)
  }),
}
