import type { ResourceValidationArgs } from '@pulumi/policy'

/** The EKS cluster resource, and @pulumi/eks's component (what a program declares, and mocks see). */
export const EKS_CLUSTER = 'aws:eks/cluster:Cluster'
export const EKS_CLUSTER_COMPONENT = 'eks:index:Cluster'

interface ClusterSettings {
  endpointPrivateAccess?: boolean
  endpointPublicAccess?: boolean
  enabledClusterLogTypes?: string[]
}

/** The settings the EKS policies judge, wherever the resource type keeps them. */
export function clusterSettings(
  type: string,
  props: ResourceValidationArgs['props'],
): ClusterSettings | undefined {
  if (type === EKS_CLUSTER)
    return { ...props.vpcConfig, enabledClusterLogTypes: props.enabledClusterLogTypes }
  if (type === EKS_CLUSTER_COMPONENT) return props
  return undefined
}
