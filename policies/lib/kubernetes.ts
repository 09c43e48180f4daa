import type { ResourceValidationArgs } from '@pulumi/policy'

/** A pod template's spec, as policies see it: plain JSON. */
export interface PodSpec {
  containers?: Container[]
  initContainers?: Container[]
  securityContext?: SecurityContext
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[]
  nodeSelector?: Record<string, string>
  volumes?: { name?: string; emptyDir?: unknown }[]
}

export interface Container {
  name?: string
  image?: string
  securityContext?: SecurityContext & { privileged?: boolean; allowPrivilegeEscalation?: boolean }
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> }
  env?: EnvVar[]
}

export interface EnvVar {
  name?: string
  value?: string
  valueFrom?: { secretKeyRef?: { name?: string; key?: string }; [source: string]: unknown }
}

interface SecurityContext {
  runAsNonRoot?: boolean
  runAsUser?: number
}

type Props = ResourceValidationArgs['props']

// Where each workload kind keeps its pod template's spec.
const POD_SPEC: Record<string, (props: Props) => PodSpec | undefined> = {
  'kubernetes:core/v1:Pod': (p) => p.spec,
  'kubernetes:apps/v1:Deployment': (p) => p.spec?.template?.spec,
  'kubernetes:apps/v1:StatefulSet': (p) => p.spec?.template?.spec,
  'kubernetes:apps/v1:DaemonSet': (p) => p.spec?.template?.spec,
  'kubernetes:apps/v1:ReplicaSet': (p) => p.spec?.template?.spec,
  'kubernetes:batch/v1:Job': (p) => p.spec?.template?.spec,
  'kubernetes:batch/v1:CronJob': (p) => p.spec?.jobTemplate?.spec?.template?.spec,
}

/** The annotations of a workload's pods (a Pod's own, a controller's pod template's). */
export function podAnnotations(type: string, props: Props): Record<string, string> {
  const template =
    type === 'kubernetes:core/v1:Pod'
      ? props
      : type === 'kubernetes:batch/v1:CronJob'
        ? props.spec?.jobTemplate?.spec?.template
        : props.spec?.template
  return template?.metadata?.annotations ?? {}
}

/** The pod spec of a Kubernetes workload resource, or undefined for anything else. */
export function podSpec(type: string, props: Props): PodSpec | undefined {
  return POD_SPEC[type]?.(props)
}

/** Every container of a pod, init containers (and native sidecars) included. */
export const allContainers = (spec: PodSpec): Container[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
]

/** The taint GPU nodes carry, and the extended resource GPU pods ask for. */
export const GPU_RESOURCE = 'nvidia.com/gpu'

/** The resource-level validation of every Kubernetes workload's pod spec. */
export function forPods(validate: (spec: PodSpec, report: (message: string) => void) => void) {
  return (args: ResourceValidationArgs, reportViolation: (message: string) => void) => {
    const spec = podSpec(args.type, args.props)
    if (spec) validate(spec, reportViolation)
  }
}
