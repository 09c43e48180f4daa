import type { ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy'
import { isGpuGroup, NODE_GROUPS } from '../gpu-node-groups-tainted.ts'
import { podAnnotations, podSpec } from '../lib/kubernetes.ts'
import { forTypes } from '../lib/resources.ts'

/** The label cluster-autoscaler's AWS provider knows GPU nodes by, valued with the GPU type. */
export const ACCELERATOR_LABEL = 'k8s.amazonaws.com/accelerator'

/**
 * GPU node groups are labelled with their GPU type, so that the cluster autoscaler waits for a new
 * node's GPUs instead of adding more nodes while the driver starts, and hold one GPU type each:
 * the autoscaler sizes a group from one instance type, and a mixed group gets another.
 */
export const gpuNodeGroupsAutoscaled: ResourceValidationPolicy = {
  name: 'gpu-node-groups-autoscaled',
  description: `GPU node groups must be labelled ${ACCELERATOR_LABEL} and hold one instance family.`,
  enforcementLevel: 'mandatory',
  validateResource: forTypes(NODE_GROUPS, (props, _args, report) => {
    if (!isGpuGroup(props)) return
    if (!props.labels?.[ACCELERATOR_LABEL])
      report(`a GPU node group must have the label ${ACCELERATOR_LABEL}: <GPU type>`)
    const families = new Set(
      ((props.instanceTypes as string[] | undefined) ?? []).map((type) => type.split('.')[0]),
    )
    if (families.size > 1)
      report(
        `a GPU node group must hold one instance family, not ${[...families].join(' and ')}: ` +
          'declare one group per GPU type',
      )
  }),
}

export const SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict'
const LOCAL_STORAGE_FLAG = 'skip-nodes-with-local-storage'

/**
 * Nodes can scale down: cluster-autoscaler keeps any node that runs a pod with an emptyDir unless
 * it runs with `--skip-nodes-with-local-storage=false` or the pod is annotated safe to evict.
 */
export const nodesScaleDown: StackValidationPolicy = {
  name: 'nodes-scale-down',
  description: `Pods with emptyDir volumes must be ${SAFE_TO_EVICT}, or the autoscaler told so.`,
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const flagged = args.resources.some(
      (r) =>
        r.type === 'kubernetes:helm.sh/v3:Release' &&
        r.props.chart === 'cluster-autoscaler' &&
        String(r.props.values?.extraArgs?.[LOCAL_STORAGE_FLAG]) === 'false',
    )
    if (flagged) return
    for (const r of args.resources) {
      const spec = podSpec(r.type, r.props)
      if (!spec?.volumes?.some((v) => v.emptyDir !== undefined)) continue
      if (podAnnotations(r.type, r.props)[SAFE_TO_EVICT] !== 'true')
        report(
          `pods with an emptyDir keep their node from scaling down: annotate them ` +
            `${SAFE_TO_EVICT}: "true" or run cluster-autoscaler with --${LOCAL_STORAGE_FLAG}=false`,
          r.urn,
        )
    }
  },
}
