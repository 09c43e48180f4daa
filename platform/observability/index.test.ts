// kube-prometheus-stack's values on EKS, under Pulumi's mocks for every stack file.
import { beforeAll, describe, expect, it } from 'vitest'
import { SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import { type PlatformRun, platformRun } from '../testing/stacks.ts'

const STACKS = ['dev', 'staging', 'prod'] as const
const RELEASE = 'kubernetes:helm.sh/v3:Release'

const runs = {} as Record<(typeof STACKS)[number], PlatformRun>
beforeAll(async () => {
  for (const stack of STACKS) runs[stack] = await platformRun(stack)
})
const release = (stack: (typeof STACKS)[number]) =>
  runs[stack].find.one(RELEASE, '-kube-prometheus-stack')

describe.each(STACKS)('kube-prometheus-stack on %s', (stack) => {
  it('scrapes no control-plane component EKS hides, and has no rule that would alert on it', () => {
    const values = release(stack).props.values
    for (const component of ['kubeControllerManager', 'kubeScheduler', 'kubeProxy', 'kubeEtcd'])
      expect(values[component], component).toEqual({ enabled: false })
    expect(values.defaultRules.rules).toEqual({
      kubeControllerManager: false,
      kubeSchedulerAlerting: false,
      kubeSchedulerRecording: false,
      kubeProxy: false,
      etcd: false,
    })
    // What EKS does expose stays scraped.
    expect(values.kubeApiServer?.enabled).not.toBe(false)
    expect(values.kubelet?.enabled).not.toBe(false)
  })

  it('upgrades its CRDs with the chart, from a job on the system nodes', () => {
    expect(release(stack).props.values.crds).toEqual({
      enabled: true,
      upgradeJob: { enabled: true, nodeSelector: SYSTEM_NODE_LABEL },
    })
  })

  it("installs after Grafana's admin Secret, which it names", () => {
    const secret = runs[stack].find.one('kubernetes:core/v1:Secret', '-grafana-admin')
    expect(release(stack).dependsOn).toContain(secret.urn)
    expect(release(stack).props.values.grafana.admin).toEqual({
      existingSecret: secret.props.metadata.name,
      userKey: 'admin-user',
      passwordKey: 'admin-password',
    })
    expect(Object.keys(secret.props.stringData).sort()).toEqual(['admin-password', 'admin-user'])
  })

  it('lets the cluster autoscaler evict Grafana, whose volumes are emptyDirs', () => {
    expect(release(stack).props.values.grafana.podAnnotations).toEqual({
      'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true',
    })
  })
})
