import { describe, expect, it } from 'vitest'
import { containersNonRoot } from './containers-non-root.ts'
import { containersResourceLimits } from './containers-resource-limits.ts'
import { containersSecretEnv } from './containers-secret-env.ts'
import { imagesPinned, imageTag } from './images-pinned.ts'
import type { Container, PodSpec } from './lib/kubernetes.ts'
import { messages } from './testing.ts'

const good: Container = {
  name: 'app',
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/infera-inference:0.1.0',
  securityContext: { allowPrivilegeEscalation: false },
  resources: { limits: { cpu: '1', memory: '1Gi' } },
}
const pod: PodSpec = {
  securityContext: { runAsNonRoot: true, runAsUser: 1000 },
  containers: [good],
}
const deployment = (spec: PodSpec) => ({
  type: 'kubernetes:apps/v1:Deployment',
  name: 'app',
  props: { spec: { template: { spec } } },
})
const cronJob = (spec: PodSpec) => ({
  type: 'kubernetes:batch/v1:CronJob',
  name: 'job',
  props: { spec: { jobTemplate: { spec: { template: { spec } } } } },
})
const withContainer = (container: Partial<Container>) => ({
  ...pod,
  containers: [{ ...good, ...container }],
})

describe('containers-non-root', () => {
  it('passes containers under a non-root pod, and a container setting its own user', async () => {
    expect(await messages(containersNonRoot, [deployment(pod), cronJob(pod)])).toEqual([])
    const own = {
      containers: [{ ...good, securityContext: { ...good.securityContext, runAsUser: 1000 } }],
    }
    expect(await messages(containersNonRoot, [deployment(own)])).toEqual([])
  })

  it('fails root, a missing user, privileged containers and privilege escalation', async () => {
    expect(
      await messages(containersNonRoot, [
        deployment(
          withContainer({ securityContext: { runAsUser: 0, allowPrivilegeEscalation: false } }),
        ),
      ]),
    ).toEqual(['container app runs as user 0'])
    expect(await messages(containersNonRoot, [deployment({ containers: [good] })])).toEqual([
      'container app may run as root: set runAsNonRoot or a non-zero runAsUser',
    ])
    expect(
      await messages(containersNonRoot, [
        deployment(withContainer({ securityContext: { privileged: true } })),
      ]),
    ).toEqual([
      'container app is privileged',
      'container app must set allowPrivilegeEscalation: false',
    ])
  })

  it('checks init containers (native sidecars) too', async () => {
    const sidecar = {
      ...good,
      name: 'sync',
      securityContext: { runAsUser: 0, allowPrivilegeEscalation: false },
    }
    expect(
      await messages(containersNonRoot, [deployment({ ...pod, initContainers: [sidecar] })]),
    ).toEqual(['container sync runs as user 0'])
  })

  it('leaves resources other than workloads alone', async () => {
    expect(
      await messages(containersNonRoot, [
        { type: 'kubernetes:core/v1:ConfigMap', name: 'c', props: {} },
      ]),
    ).toEqual([])
  })
})

describe('containers-resource-limits', () => {
  it('passes containers with CPU and memory limits', async () => {
    expect(await messages(containersResourceLimits, [deployment(pod)])).toEqual([])
  })

  it('fails a container without limits, or without a memory limit', async () => {
    expect(
      await messages(containersResourceLimits, [deployment(withContainer({ resources: {} }))]),
    ).toEqual(['container app has no cpu or memory limit'])
    const cpuOnly = withContainer({
      resources: { requests: { memory: '1Gi' }, limits: { cpu: '1' } },
    })
    expect(await messages(containersResourceLimits, [cronJob(cpuOnly)])).toEqual([
      'container app has no memory limit',
    ])
  })
})

describe('containers-secret-env', () => {
  const fromSecret = { secretKeyRef: { name: 'token-inference', key: 'token' } }

  it('passes credentials from Secrets, and other variables with literal values', async () => {
    const env = [
      { name: 'INFERA_DRIFT_TOKEN', valueFrom: fromSecret },
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'database', key: 'url' } } },
      { name: 'INFERA_CREDENTIALS', value: '/etc/infera/credentials/credentials.json' },
      { name: 'AWS_REGION', value: 'us-east-1' },
    ]
    expect(await messages(containersSecretEnv, [deployment(withContainer({ env }))])).toEqual([])
  })

  it('fails a token, password or database URL given as a literal or from a ConfigMap', async () => {
    const env = [
      { name: 'INFERA_REGISTRY_TOKEN', value: 'abc' },
      { name: 'PGPASSWORD', value: 'hunter2' },
      { name: 'DATABASE_URL', value: 'postgres://u:p@db/infera' },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } },
    ]
    const sidecar = { ...good, name: 'sync', env: [{ name: 'API_KEY', value: 'k' }] }
    expect(
      await messages(containersSecretEnv, [
        deployment({ ...withContainer({ env }), initContainers: [sidecar] }),
      ]),
    ).toEqual([
      'container sync env API_KEY must come from a Secret (valueFrom.secretKeyRef)',
      'container app env INFERA_REGISTRY_TOKEN must come from a Secret (valueFrom.secretKeyRef)',
      'container app env PGPASSWORD must come from a Secret (valueFrom.secretKeyRef)',
      'container app env DATABASE_URL must come from a Secret (valueFrom.secretKeyRef)',
      'container app env AWS_SECRET_ACCESS_KEY must come from a Secret (valueFrom.secretKeyRef)',
    ])
  })
})

describe('images-pinned', () => {
  it('reads the tag after the last path segment, not a registry port', () => {
    expect(imageTag('registry:5000/team/app')).toBeUndefined()
    expect(imageTag('registry:5000/team/app:1.2')).toBe('1.2')
  })

  it('passes a tagged image and a digest', async () => {
    const digest = withContainer({ image: `app@sha256:${'a'.repeat(64)}` })
    expect(await messages(imagesPinned, [deployment(pod), deployment(digest)])).toEqual([])
  })

  it('fails latest and an untagged image', async () => {
    expect(
      await messages(imagesPinned, [deployment(withContainer({ image: 'nginx:latest' }))]),
    ).toEqual(["container app image 'nginx:latest' is not pinned"])
    expect(
      await messages(imagesPinned, [deployment(withContainer({ image: 'registry:5000/nginx' }))]),
    ).toHaveLength(1)
  })
})
