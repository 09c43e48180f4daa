import type { ResourceValidationPolicy } from '@pulumi/policy'
import { allContainers, forPods, GPU_RESOURCE, type PodSpec } from './lib/kubernetes.ts'

const tolerates = (spec: PodSpec) =>
  (spec.tolerations ?? []).some(
    (t) =>
      (t.key === GPU_RESOURCE || (t.key === undefined && t.operator === 'Exists')) &&
      (t.effect === undefined || t.effect === '' || t.effect === 'NoSchedule'),
  )
const requestsGpus = (spec: PodSpec) =>
  allContainers(spec).some((c) => Number(c.resources?.limits?.[GPU_RESOURCE] ?? 0) > 0)
const targetsGpuNodes = (spec: PodSpec) =>
  Object.keys(spec.nodeSelector ?? {}).some((key) => key.startsWith('nvidia.com/'))

/**
 * A pod that wants GPU nodes — it asks for `nvidia.com/gpu`, tolerates the GPU taint or selects
 * GPU nodes — does all of it: asks for GPUs as a limit (so the device plugin assigns them and no
 * pod shares one unknowingly), and tolerates the taint (else it never schedules). A pod that
 * tolerates the taint without asking for a GPU would take a GPU node's room for nothing.
 */
export const gpuPods: ResourceValidationPolicy = {
  name: 'gpu-pods',
  description: `GPU pods must request ${GPU_RESOURCE} and tolerate the ${GPU_RESOURCE} taint.`,
  enforcementLevel: 'mandatory',
  validateResource: forPods((spec, report) => {
    const gpu = requestsGpus(spec)
    const toleration = tolerates(spec)
    if (!gpu && !toleration && !targetsGpuNodes(spec)) return
    if (!gpu) report(`a pod on GPU nodes must request ${GPU_RESOURCE} in its limits`)
    if (!toleration)
      report(`a pod requesting ${GPU_RESOURCE} must tolerate the ${GPU_RESOURCE}:NoSchedule taint`)
  }),
}
