// The services' workloads as the real cluster needs them: TLS on the public NLB, rollouts that can
// progress on full GPU groups, pods the autoscaler may evict, and who may reach the registry.
import { beforeAll, describe, expect, it } from 'vitest'
import type { MockedResource } from '../testing/mocks.ts'
import { type PlatformRun, platformRun } from '../testing/stacks.ts'
import { gatewayWorkers } from './index.ts'

const STACKS = ['dev', 'staging', 'prod'] as const
type Stack = (typeof STACKS)[number]
const DEPLOYMENT = 'kubernetes:apps/v1:Deployment'
const ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer'

const runs = {} as Record<Stack, PlatformRun>
beforeAll(async () => {
  for (const stack of STACKS) runs[stack] = await platformRun(stack)
})

type Labels = Record<string, string>
interface Selector {
  matchLabels?: Labels
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}
/** Whether a label selector selects these labels (the operators NetworkPolicies here use). */
function selects(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return false
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values }) => {
    if (operator === 'In') return values?.includes(labels[key] as string) ?? false
    throw new Error(`operator ${operator} is not evaluated here`)
  })
  return byLabel && byExpression
}

interface Peer {
  namespace: string
  namespaceLabels: Labels
  labels: Labels
}
/**
 * Whether a pod in `policyNamespace` selected by some NetworkPolicy admits a connection from
 * `peer` on `port`, as Kubernetes evaluates them: unselected pods admit everything.
 */
function admits(policies: MockedResource[], pod: Labels, peer: Peer, port: string): boolean {
  const applying = policies.filter((p) => selects(p.props.spec.podSelector, pod))
  if (applying.length === 0) return true
  return applying.some((policy) =>
    (policy.props.spec.ingress ?? []).some(
      (rule: {
        from: { podSelector?: Selector; namespaceSelector?: Selector }[]
        ports: { port: string }[]
      }) =>
        rule.ports.some((p) => p.port === port) &&
        rule.from.some((from) =>
          from.namespaceSelector
            ? selects(from.namespaceSelector, peer.namespaceLabels) &&
              (!from.podSelector || selects(from.podSelector, peer.labels))
            : peer.namespace === policy.props.metadata.namespace &&
              selects(from.podSelector, peer.labels),
        ),
    ),
  )
}
const podLabels = (d: MockedResource): Labels => d.props.spec.template.metadata.labels
const inInfera = (labels: Labels): Peer => ({
  namespace: 'infera',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'infera' },
  labels,
})

describe.each(STACKS)('Services on %s: network policies', (stack) => {
  // The services' own: the tracing collector's namespace has its own Deployment.
  const deployments = () =>
    runs[stack].find.all(DEPLOYMENT).filter((d) => d.props.metadata.namespace === 'infera')
  const policies = () => runs[stack].find.all('kubernetes:networking.k8s.io/v1:NetworkPolicy')
  const registry = () => runs[stack].find.one(DEPLOYMENT, '-registry')

  it('lets the inference groups, drift and the gateway reach the registry, and no other pod', () => {
    const clients = deployments().filter((d) => d !== registry())
    expect(clients.map((d) => podLabels(d)['app.kubernetes.io/component']).sort()).toEqual(
      expect.arrayContaining(['drift', 'gateway', 'inference']),
    )
    for (const client of clients)
      expect(admits(policies(), podLabels(registry()), inInfera(podLabels(client)), 'http')).toBe(
        true,
      )
    // A pod of the namespace that is none of them, e.g. a debugging shell or a new job.
    const stranger = inInfera({ 'app.kubernetes.io/name': 'shell' })
    expect(admits(policies(), podLabels(registry()), stranger, 'http')).toBe(false)
    // A pod in another namespace labelled like a client is still not one.
    const elsewhere: Peer = {
      namespace: 'default',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'default' },
      labels: podLabels(runs[stack].find.one(DEPLOYMENT, '-gateway')),
    }
    expect(admits(policies(), podLabels(registry()), elsewhere, 'http')).toBe(false)
  })

  it("lets Prometheus scrape the registry's /metrics", () => {
    const prometheus: Peer = {
      namespace: 'monitoring',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
      labels: {
        'app.kubernetes.io/name': 'prometheus',
        prometheus: 'kube-prometheus-stack-prometheus',
      },
    }
    expect(admits(policies(), podLabels(registry()), prometheus, 'http')).toBe(true)
    const grafana = { ...prometheus, labels: { 'app.kubernetes.io/name': 'grafana' } }
    expect(admits(policies(), podLabels(registry()), grafana, 'http')).toBe(false)
  })

  it('names the port the registry container listens on', () => {
    const ports = registry().props.spec.template.spec.containers[0].ports
    expect(ports).toContainEqual(expect.objectContaining({ name: 'http' }))
  })
})

describe.each(STACKS)('Services on %s: the cluster autoscaler', (stack) => {
  it('may evict every pod with an emptyDir, so that nodes scale down', () => {
    const withScratch = runs[stack].find
      .all(DEPLOYMENT)
      .filter((d) =>
        d.props.spec.template.spec.volumes.some((v: { emptyDir?: object }) => v.emptyDir),
      )
    expect(withScratch).not.toHaveLength(0)
    for (const d of withScratch)
      expect(
        d.props.spec.template.metadata.annotations[
          'cluster-autoscaler.kubernetes.io/safe-to-evict'
        ],
        d.name,
      ).toBe('true')
  })
})

describe('Services: GPU rollouts', () => {
  const gpuGroups = (stack: Stack) =>
    runs[stack].find.all(DEPLOYMENT).filter((d) => podLabels(d)['infera.dev/accelerator'] === 'gpu')

  it.each(['staging', 'prod'] as const)(
    'replace one pod at a time on %s: at max replicas no surge pod could find a GPU',
    (stack) => {
      expect(gpuGroups(stack)).not.toHaveLength(0)
      for (const d of gpuGroups(stack)) {
        const hpa = runs[stack].find.one(
          'kubernetes:autoscaling/v2:HorizontalPodAutoscaler',
          `-${d.props.metadata.name}`,
        )
        const { maxSurge, maxUnavailable } = d.props.spec.strategy.rollingUpdate
        // Progress without a pod beyond the HPA's max: every new pod takes an old one's GPU.
        expect(maxSurge).toBe(0)
        expect(maxUnavailable).toBeGreaterThanOrEqual(1)
        expect(hpa.props.spec.maxReplicas).toBeGreaterThan(0)
      }
    },
  )

  it('keeps surging CPU groups, which lose no capacity while they roll', () => {
    for (const stack of STACKS)
      for (const d of runs[stack].find
        .all(DEPLOYMENT)
        .filter((d) => podLabels(d)['infera.dev/accelerator'] === 'cpu'))
        expect(d.props.spec.strategy.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: 0 })
  })
})

describe('Services: the public gateway', () => {
  const service = (stack: Stack) => runs[stack].find.one('kubernetes:core/v1:Service', '-gateway')

  it.each(['staging', 'prod'] as const)(
    'terminates TLS on 443 with the stack certificate on %s, and serves no plain HTTP',
    async (stack) => {
      const s = service(stack)
      expect(s.props.spec.ports).toEqual([{ name: 'http', port: 443, targetPort: 'http' }])
      const annotations = s.props.metadata.annotations
      expect(annotations[`${ANNOTATION}-ssl-cert`]).toMatch(
        /^arn:aws:acm:us-east-1:\d{12}:certificate\//,
      )
      expect(annotations[`${ANNOTATION}-ssl-ports`]).toBe('443')
      expect(annotations[`${ANNOTATION}-backend-protocol`]).toBe('tcp')
      expect(annotations[`${ANNOTATION}-ssl-negotiation-policy`]).toMatch(
        /^ELBSecurityPolicy-TLS13/,
      )
      expect(annotations[`${ANNOTATION}-internal`]).toBeUndefined()
      const url = await new Promise((done) => runs[stack].outputs.gatewayUrl.apply(done))
      expect(url).toMatch(/^https:\/\//)
    },
  )

  it('serves plain HTTP on 80 in dev, which has no certificate', () => {
    const s = service('dev')
    expect(s.props.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }])
    expect(s.props.metadata.annotations[`${ANNOTATION}-ssl-cert`]).toBeUndefined()
  })
})

describe('Services: the gateway runs one worker per core of its CPU limit', () => {
  it.each([
    ['2', 2],
    ['500m', 1],
    ['1500m', 2],
    ['1', 1],
  ])('a %s limit gives --workers %i', (cpu, workers) => {
    expect(gatewayWorkers(cpu)).toBe(workers)
  })

  it('refuses a limit that is not a CPU quantity', () => {
    expect(() => gatewayWorkers('2Gi')).toThrow(/not a CPU quantity: '2Gi'/)
  })

  it.each(STACKS)('sets --workers from the container CPU limit on %s', (stack) => {
    const container = runs[stack].find.one(DEPLOYMENT, '-gateway').props.spec.template.spec
      .containers[0]
    const args: string[] = container.args
    const workers = args[args.indexOf('--workers') + 1]
    expect(args).toContain('--workers')
    expect(workers).toBe(String(gatewayWorkers(container.resources.limits.cpu)))
  })
})
