import type { MockedResource } from './mocks.ts'

type Props = MockedResource['props']
type Container = { name: string; image: string; resources?: { limits?: Record<string, string> } }

const podSpec = (p: Props) => p.spec?.template?.spec ?? {}
const containers = (p: Props): Container[] => [
  ...(podSpec(p).initContainers ?? []),
  ...(podSpec(p).containers ?? []),
]

/**
 * What a reviewer wants to see of each resource type: a few inputs, never secrets (every value
 * shown here comes from stack config or code, not from a secret).
 */
const KEY_INPUTS: Record<string, (p: Props) => Record<string, unknown>> = {
  'awsx:ec2:Vpc': (p) => ({
    cidr: p.cidrBlock,
    azs: p.numberOfAvailabilityZones,
    nat: p.natGateways?.strategy,
    // The subnets' CIDRs, one per AZ of each type: what AWS is asked for.
    ...Object.fromEntries(
      (p.subnetSpecs ?? []).map((s: { type: string; cidrBlocks?: string[] }) => [
        s.type.toLowerCase(),
        s.cidrBlocks,
      ]),
    ),
  }),
  'eks:index:Cluster': (p) => ({
    version: p.version,
    auth: p.authenticationMode,
    privateEndpoint: p.endpointPrivateAccess,
    publicEndpoint: p.endpointPublicAccess,
    logs: p.enabledClusterLogTypes,
  }),
  'eks:index:ManagedNodeGroup': (p) => ({
    ami: p.amiType,
    instances: p.instanceTypes,
    capacity: p.capacityType,
    size: `${p.scalingConfig?.minSize}..${p.scalingConfig?.maxSize}`,
    taints: p.taints?.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`),
  }),
  'aws:eks/addon:Addon': (p) => ({ addon: p.addonName }),
  'aws:rds/instance:Instance': (p) => ({
    engine: `${p.engine} ${p.engineVersion}`,
    class: p.instanceClass,
    multiAz: p.multiAz,
    encrypted: p.storageEncrypted,
    public: p.publiclyAccessible,
    backupDays: p.backupRetentionPeriod,
    deletionProtection: p.deletionProtection,
  }),
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': (p) => ({
    port: p.fromPort,
    from: p.referencedSecurityGroupId ?? p.cidrIpv4,
  }),
  'aws:s3/bucket:Bucket': (p) => ({ forceDestroy: p.forceDestroy }),
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': (
    p,
  ) => ({
    sse: p.rules?.[0]?.applyServerSideEncryptionByDefault?.sseAlgorithm,
  }),
  'aws:s3/bucketVersioning:BucketVersioning': (p) => ({
    status: p.versioningConfiguration?.status,
  }),
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': (p) => ({
    expireDays: p.rules?.[0]?.expiration?.days,
    noncurrentDays: p.rules?.[0]?.noncurrentVersionExpiration?.noncurrentDays,
  }),
  'aws:ecr/repository:Repository': (p) => ({ tags: p.imageTagMutability }),
  'kubernetes:helm.sh/v3:Release': (p) => ({
    release: p.name,
    chart: `${p.chart}@${p.version}`,
    namespace: p.namespace,
  }),
  'kubernetes:apps/v1:Deployment': (p) => ({
    namespace: p.metadata?.namespace,
    images: containers(p).map((c) => c.image),
    gpus: containers(p).find((c) => c.resources?.limits?.['nvidia.com/gpu'])?.resources?.limits?.[
      'nvidia.com/gpu'
    ],
    nodeSelector: podSpec(p).nodeSelector,
  }),
  'kubernetes:core/v1:Service': (p) => ({ type: p.spec?.type, port: p.spec?.ports?.[0]?.port }),
  'kubernetes:autoscaling/v2:HorizontalPodAutoscaler': (p) => ({
    replicas: `${p.spec?.minReplicas}..${p.spec?.maxReplicas}`,
  }),
  'kubernetes:core/v1:ConfigMap': (p) => ({ labels: p.metadata?.labels }),
  'kubernetes:monitoring.coreos.com/v1:ServiceMonitor': (p) => ({
    labels: p.metadata?.labels?.release,
  }),
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))

function describe(r: MockedResource) {
  const inputs = KEY_INPUTS[r.type]?.(r.props) ?? {}
  const shown = Object.entries(inputs)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${show(v)}`)
  return [`${r.type}  ${r.name}`, ...shown].join('  ')
}

/** The resource tree as indented lines, children under their parents, then counts by type. */
export function renderTree(resources: MockedResource[]): string {
  const children = new Map<string | undefined, MockedResource[]>()
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r])
  const lines: string[] = []
  // Registration order varies with how outputs resolve: below the top-level components (in
  // wiring order), siblings are sorted so that two plans of the same code read the same.
  const byTypeAndName = (a: MockedResource, b: MockedResource) =>
    a.type.localeCompare(b.type) || a.name.localeCompare(b.name)
  const walk = (parent: string | undefined, depth: number) => {
    const siblings = children.get(parent) ?? []
    for (const r of depth ? siblings.toSorted(byTypeAndName) : siblings) {
      lines.push(`${'  '.repeat(depth)}${describe(r)}`)
      walk(r.urn, depth + 1)
    }
  }
  walk(undefined, 0)
  const counts = new Map<string, number>()
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1)
  const summary = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `  ${String(n).padStart(3)}  ${type}`)
  return [...lines, '', `${resources.length} resources:`, ...summary].join('\n')
}
