// The whole program under Pulumi's mocks for each stack file: its shape, its outputs, the offline
// plan, and the policy pack over every resource.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pulumi from '@pulumi/pulumi'
import { beforeAll, describe, expect, it } from 'vitest'
import { policies } from '../policies/all.ts'
import { evaluate, type TestConfig } from '../policies/testing.ts'
import { type MockedResource, resolve } from './testing/mocks.ts'
import { type PlatformRun, platformRun } from './testing/stacks.ts'
import { renderTree } from './testing/tree.ts'

const COMPONENTS = [
  'Network',
  'Cluster',
  'Database',
  'Storage',
  'Retraining',
  'Observability',
  'Tracing',
  'Services',
]

const STACKS = ['dev', 'staging', 'prod'] as const

const runs = new Map<string, PlatformRun>()
let prod: PlatformRun
beforeAll(async () => {
  for (const stack of STACKS) runs.set(stack, await platformRun(stack))
  prod = runs.get('prod') as PlatformRun
})

describe('the platform program', () => {
  it('is one component per concern, each owning its resources', () => {
    const topLevel = prod.resources.filter((r) => r.parent === undefined)
    expect(topLevel.map((r) => r.type)).toEqual(COMPONENTS.map((c) => `infera:platform:${c}`))
    expect(topLevel.every((r) => r.name === 'infera-prod')).toBe(true)
  })

  it('outputs the gateway URL, bucket names, the database endpoint and a secret kubeconfig', async () => {
    const { outputs } = prod
    expect(await resolve(outputs.gatewayUrl)).toMatch(
      /^https:\/\/.+\.elb\.us-east-1\.amazonaws\.com$/,
    )
    expect(await resolve(pulumi.output(outputs.buckets))).toEqual({
      artifacts: 'infera-prod-artifacts-0a1b2c3',
      captures: 'infera-prod-captures-0a1b2c3',
      reports: 'infera-prod-reports-0a1b2c3',
    })
    expect(await resolve(outputs.databaseEndpoint)).toMatch(/\.rds\.amazonaws\.com$/)
    expect(await pulumi.isSecret(outputs.kubeconfig)).toBe(true)
    expect(await pulumi.isSecret(outputs.databaseEndpoint)).toBe(false)
    expect(Object.keys(outputs.repositories).sort()).toEqual([
      'drift',
      'gateway',
      'inference',
      'registry',
      'trainer',
    ])
  })
})

describe('the offline plan (npm run platform:plan)', () => {
  it("prints the tree with each resource's key inputs, children under their parents", () => {
    const lines = renderTree(prod.resources).split('\n')
    expect(lines[0]).toBe('infera:platform:Network  infera-prod')
    expect(lines[1]).toBe(
      '  awsx:ec2:Vpc  infera-prod  cidr=10.40.0.0/16  azs=3  nat=OnePerAz' +
        '  public=["10.40.192.0/20","10.40.208.0/20","10.40.224.0/20"]' +
        '  private=["10.40.0.0/18","10.40.64.0/18","10.40.128.0/18"]',
    )
    expect(lines).toContain(
      '  eks:index:ManagedNodeGroup  infera-prod-gpu-g6-xlarge  ami=AL2023_x86_64_NVIDIA  instances=["g6.xlarge"]  capacity=ON_DEMAND  size=2..8  taints=["nvidia.com/gpu:NO_SCHEDULE"]',
    )
    expect(lines.filter((l) => l.startsWith('    kubernetes:apps/v1:Deployment'))).toHaveLength(5)
    expect(lines).toContain(`${prod.resources.length} resources:`)
  })

  it('shows no secret', () => {
    const tree = renderTree(prod.resources)
    const password = prod.find.one('random:index/randomPassword:RandomPassword', 'infera-prod')
      .props.result
    expect(tree).not.toContain(password)
    expect(tree).not.toContain('postgres://')
  })
})

/** The pack's config for an environment: the file CI passes as --policy-pack-config. */
const configFor = (environment: string): Record<string, TestConfig> =>
  JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', 'policies', 'config', `${environment}.json`),
      'utf8',
    ),
  )

const asPolicyResources = (resources: MockedResource[]) =>
  resources.map(({ type, name, urn, props }) => ({ type, name, urn, props }))

describe('the policy pack over the mocked program', () => {
  it.each(STACKS)('passes every resource of %s', async (stack) => {
    const run = runs.get(stack) as PlatformRun
    expect(await evaluate(policies, asPolicyResources(run.resources), configFor(stack))).toEqual([])
  })

  it('would stop dev from going to production as it is', async () => {
    const dev = runs.get('dev') as PlatformRun
    const violations = await evaluate(policies, asPolicyResources(dev.resources), configFor('prod'))
    expect([...new Set(violations.map((v) => v.policy))].sort()).toEqual([
      'eks-private-endpoint',
      'load-balancer-tls',
      'rds-backups-retained',
      'rds-deletion-protection',
    ])
  })
})
