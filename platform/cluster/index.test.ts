// The EKS cluster: who can reach and administer its API, its add-ons, logs and node groups, run
// under Pulumi's mocks for the real stack files; and the cluster config rules that refuse a stack
// whose CI couldn't reach its cluster.
import { beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../config/index.ts'
import { configProblems } from '../config/testing.ts'
import { stackConfig } from '../testing/mocks.ts'
import { type PlatformRun, platformRun } from '../testing/stacks.ts'

const STACKS = ['dev', 'staging', 'prod'] as const
const CLUSTER = 'eks:index:Cluster'
const NODE_GROUP = 'eks:index:ManagedNodeGroup'
const ADDON = 'aws:eks/addon:Addon'
const INGRESS = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'
const ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'

const runs = {} as Record<(typeof STACKS)[number], PlatformRun>
beforeAll(async () => {
  for (const stack of STACKS) runs[stack] = await platformRun(stack)
})

/** A stack's `infera:cluster` with some fields replaced. */
const clusterWith = (stack: string, fields: Record<string, unknown>) => ({
  ...stackConfig(stack),
  'infera:cluster': JSON.stringify({
    ...JSON.parse(stackConfig(stack)['infera:cluster'] as string),
    ...fields,
  }),
})

describe('Cluster config: CI must reach and administer the cluster', () => {
  it.each(STACKS)(
    '%s: its CI role is a cluster admin and its CI source reaches the API',
    (stack) => {
      const { cluster } = parseConfig(stackConfig(stack), stack)
      expect(cluster.admins).toContain(cluster.ci.roleArn)
      expect(cluster.admins.length).toBeGreaterThan(1)
      expect(cluster.publicAccessCidrs).not.toContain('0.0.0.0/0')
    },
  )

  it('refuses a cluster without admins', () => {
    expect(configProblems(clusterWith('dev', { admins: [] }))).toEqual([
      'infera:cluster.admins: needs the CI role and the operators',
      'infera:cluster.admins: must include the CI role arn:aws:iam::123456789012:role/infera-ci-dev',
    ])
  })

  it('refuses admins that leave out the CI role', () => {
    const operators = 'arn:aws:iam::123456789012:role/infera-operators'
    expect(configProblems(clusterWith('dev', { admins: [operators] }))).toEqual([
      'infera:cluster.admins: must include the CI role arn:aws:iam::123456789012:role/infera-ci-dev',
    ])
  })

  it('refuses a private-only endpoint that nothing lets CI into', () => {
    expect(configProblems(clusterWith('prod', { privateAccessCidrs: [] }))).toEqual([
      "infera:cluster.ci: CI at 10.40.0.0/16 can't reach the API: no public or private access covers it",
    ])
    const ci = {
      roleArn: 'arn:aws:iam::123456789012:role/infera-ci-prod',
      securityGroupIds: ['sg-0123456789abcdef0'],
    }
    expect(configProblems(clusterWith('prod', { ci }))).toEqual([
      "infera:cluster.ci: CI in sg-0123456789abcdef0 can't reach the API: add it to privateAccessSecurityGroups",
    ])
    expect(() =>
      parseConfig(
        clusterWith('prod', { ci, privateAccessSecurityGroups: ['sg-0123456789abcdef0'] }),
        'prod',
      ),
    ).not.toThrow()
  })

  it("refuses a public endpoint whose CIDRs don't cover CI, or that has none", () => {
    expect(
      configProblems(clusterWith('staging', { publicAccessCidrs: ['203.0.113.0/24'] })),
    ).toEqual([
      "infera:cluster.ci: CI at 198.51.100.0/24 can't reach the API: no public or private access covers it",
    ])
    // A narrower CIDR doesn't cover a wider one.
    expect(
      configProblems(clusterWith('staging', { publicAccessCidrs: ['198.51.100.0/25'] })),
    ).toEqual([
      "infera:cluster.ci: CI at 198.51.100.0/24 can't reach the API: no public or private access covers it",
    ])
    expect(() =>
      parseConfig(clusterWith('staging', { publicAccessCidrs: ['198.51.0.0/16'] }), 'staging'),
    ).not.toThrow()
    expect(configProblems(clusterWith('staging', { publicAccessCidrs: [] }))).toContain(
      'infera:cluster.publicAccessCidrs: a public endpoint needs the CIDRs allowed to call it',
    )
  })

  it('refuses a CI with no source, and publicAccessCidrs on a private endpoint', () => {
    expect(
      configProblems(
        clusterWith('prod', { ci: { roleArn: 'arn:aws:iam::123456789012:role/infera-ci-prod' } }),
      ),
    ).toEqual([
      'infera:cluster.ci: needs the cidrs or securityGroupIds the CI runner calls the API from',
    ])
    expect(configProblems(clusterWith('prod', { publicAccessCidrs: ['10.40.0.0/16'] }))).toEqual([
      'infera:cluster.publicAccessCidrs: only a public endpoint takes publicAccessCidrs',
    ])
  })

  it('refuses two GPU groups of one instance type, and log retentions CloudWatch lacks', () => {
    const { gpuNodes } = JSON.parse(stackConfig('prod')['infera:cluster'] as string)
    expect(configProblems(clusterWith('prod', { gpuNodes: [gpuNodes[0], gpuNodes[0]] }))).toEqual([
      'infera:cluster.gpuNodes: one group per GPU instance type',
    ])
    expect(configProblems(clusterWith('prod', { logRetentionDays: 10 }))[0]).toMatch(
      /^infera:cluster.logRetentionDays: must be one of 1, 3, 5, 7, 14/,
    )
  })
})

describe('Cluster: API access', () => {
  it.each(STACKS)('%s: makes the CI role and the operators cluster admins', (stack) => {
    const { cluster } = parseConfig(stackConfig(stack), stack)
    const entries = runs[stack].find.one(CLUSTER).inputs.accessEntries
    expect(Object.values(entries)).toEqual(
      cluster.admins.map((principalArn) => ({
        principalArn,
        accessPolicies: { admin: { policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } } },
      })),
    )
  })

  it('opens the public endpoint to the configured CIDRs only, never to the world by default', () => {
    expect(runs.dev.find.one(CLUSTER).inputs).toMatchObject({
      endpointPublicAccess: true,
      publicAccessCidrs: ['198.51.100.0/24', '203.0.113.0/24'],
    })
    expect(runs.dev.find.all(INGRESS, '-api-')).toEqual([])
  })

  it('lets the private CIDRs in to the private endpoint on 443, on the cluster security group', () => {
    const [rule, ...others] = runs.prod.find.all(INGRESS).filter((r) => r.name.includes('-api-'))
    expect(others).toEqual([])
    expect(rule?.inputs).toEqual({
      securityGroupId: 'sg-infera-prod-cluster',
      description: 'Kubernetes API from CI and operators',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '10.40.0.0/16',
    })
  })

  it('lets in security groups as well as CIDRs', async () => {
    const run = await platformRun('prod', {
      config: clusterWith('prod', { privateAccessSecurityGroups: ['sg-0123456789abcdef0'] }),
    })
    const rules = run.find.all(INGRESS).filter((r) => r.name.includes('-api-'))
    expect(rules.map((r) => r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId)).toEqual([
      '10.40.0.0/16',
      'sg-0123456789abcdef0',
    ])
  })
})

describe('Cluster: control plane', () => {
  it.each(STACKS)(
    '%s: keeps control-plane logs for the configured days, in a group made first',
    (stack) => {
      const logs = runs[stack].find.one('aws:cloudwatch/logGroup:LogGroup', '-control-plane')
      const { cluster } = parseConfig(stackConfig(stack), stack)
      expect(logs.inputs).toEqual({
        name: `/aws/eks/infera-${stack}/cluster`,
        retentionInDays: cluster.logRetentionDays,
      })
      expect(logs.parent).toBe(runs[stack].find.one('infera:platform:Cluster').urn)
      // The cluster's name is the log group's output: EKS can't make the group before it.
      expect(runs[stack].find.one(CLUSTER).inputs.name).toBe(`infera-${stack}`)
    },
  )

  it('is on standard support, not the pricier extended support', () => {
    for (const stack of STACKS)
      expect(runs[stack].find.one(CLUSTER).inputs.upgradePolicy).toEqual({
        supportType: 'STANDARD',
      })
  })
})

describe('Cluster: add-ons', () => {
  it('manages vpc-cni (with network policies), kube-proxy and CoreDNS as EKS add-ons', () => {
    const { prod } = runs
    const addons = Object.fromEntries(
      prod.find.all(ADDON).map((a) => [a.inputs.addonName as string, a]),
    )
    expect(Object.keys(addons).sort()).toEqual([
      'aws-ebs-csi-driver',
      'coredns',
      'kube-proxy',
      'vpc-cni',
    ])
    for (const addon of Object.values(addons))
      expect(addon.inputs).toMatchObject({
        clusterName: 'infera-prod',
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
      })
    expect(JSON.parse(addons['vpc-cni']?.inputs.configurationValues)).toEqual({
      enableNetworkPolicy: 'true',
    })
    // The cluster component's own copies are off: two owners of one add-on would fight.
    expect(prod.find.one(CLUSTER).inputs).toMatchObject({
      useDefaultVpcCni: true,
      corednsAddonOptions: { enabled: false },
      kubeProxyAddonOptions: { enabled: false },
    })
  })

  it('orders them: the CNI before nodes, CoreDNS once nodes can run it, workloads after CoreDNS', () => {
    const { prod } = runs
    const urn = (suffix: string) => prod.find.one(ADDON, suffix).urn
    const system = prod.find.one(NODE_GROUP, '-system')
    expect(system.dependsOn).toEqual(expect.arrayContaining([urn('-vpc-cni'), urn('-kube-proxy')]))
    expect(prod.find.one(ADDON, '-coredns').dependsOn).toContain(system.urn)
    expect(prod.find.one('pulumi:providers:kubernetes').dependsOn).toContain(urn('-coredns'))
  })
})

describe('Cluster: nodes scale up and down', () => {
  it('lets the autoscaler remove nodes whose pods have emptyDir volumes', () => {
    const values = runs.prod.find.one('kubernetes:helm.sh/v3:Release', '-cluster-autoscaler').props
      .values
    expect(values.extraArgs['skip-nodes-with-local-storage']).toBe(false)
  })

  it.each(STACKS)('%s: has one GPU group per instance type, labelled with its GPU', (stack) => {
    const { cluster } = parseConfig(stackConfig(stack), stack)
    const groups = runs[stack].find.all(NODE_GROUP).filter((g) => g.name.includes('-gpu-'))
    expect(groups.map((g) => g.inputs.instanceTypes)).toEqual(
      cluster.gpuNodes.map((g) => [g.instanceType]),
    )
    for (const [i, group] of groups.entries())
      expect(group.inputs.labels).toEqual({
        'nvidia.com/gpu.present': 'true',
        'infera.dev/pool': 'gpu',
        'k8s.amazonaws.com/accelerator': cluster.gpuNodes[i]?.accelerator,
      })
  })
})
