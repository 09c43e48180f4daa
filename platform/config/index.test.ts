import * as pulumi from '@pulumi/pulumi'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CANARY_POLICY } from '../../services/registry/src/canary/analysis.ts'
import { resolve, stackConfig } from '../testing/mocks.ts'
import { parseConfig } from './index.ts'
import { configProblems } from './testing.ts'

const STACKS = ['dev', 'staging', 'prod']

/** A stack file's config with some keys replaced (undefined removes a key). */
function withKeys(stack: string, keys: Record<string, unknown>) {
  const raw: Record<string, string | undefined> = stackConfig(stack)
  for (const [key, value] of Object.entries(keys))
    raw[key] = value === undefined || typeof value === 'string' ? value : JSON.stringify(value)
  return raw
}

/** A copy of one key's object value with some fields replaced. */
const patched = (stack: string, key: string, fields: Record<string, unknown>) => ({
  ...JSON.parse(stackConfig(stack)[key] as string),
  ...fields,
})

const problems = configProblems

describe('stack config', () => {
  it.each(STACKS)('Pulumi.%s.yaml is valid', (stack) => {
    const config = parseConfig(stackConfig(stack), stack)
    expect(config.environment).toBe(stack)
    expect(config.region).toBe('us-east-1')
    expect(config.secrets).toEqual({})
  })

  it('makes dev cheap and prod safe', () => {
    const dev = parseConfig(stackConfig('dev'), 'dev')
    const prod = parseConfig(stackConfig('prod'), 'prod')
    expect([dev.network.availabilityZones, dev.network.natGateways]).toEqual([2, 'single'])
    expect([prod.network.availabilityZones, prod.network.natGateways]).toEqual([3, 'one-per-az'])
    for (const group of dev.cluster.gpuNodes)
      expect(group).toMatchObject({ minSize: 0, desiredSize: 0 })
    expect(prod.cluster.gpuNodes[0]?.minSize).toBeGreaterThan(0)
    expect(dev.database).toMatchObject({ multiAz: false, deletionProtection: false })
    expect(prod.database).toMatchObject({ multiAz: true, deletionProtection: true })
    expect(prod.database.backupRetentionDays).toBeGreaterThanOrEqual(7)
    expect(dev.cluster.endpointPublicAccess).toBe(true)
    expect(prod.cluster.endpointPublicAccess).toBe(false)
    expect(dev.storage.forceDestroy).toBe(true)
    expect(prod.storage.forceDestroy).toBe(false)
  })

  it('names every missing key', () => {
    expect(
      problems(withKeys('dev', { 'infera:network': undefined, 'aws:region': undefined })),
    ).toEqual(['aws:region: missing', 'infera:network: missing'])
  })

  it('names a misspelt key', () => {
    expect(problems(withKeys('dev', { 'infera:netwrok': {} }))).toEqual([
      'infera:netwrok: unknown key',
    ])
  })

  it('names the key and the field of a wrong value', () => {
    const raw = withKeys('prod', {
      'infera:network': patched('prod', 'infera:network', { natGateways: 'many' }),
      'infera:database': patched('prod', 'infera:database', { backupRetentionDays: 0 }),
    })
    const found = problems(raw)
    expect(found).toHaveLength(2)
    expect(found[0]).toMatch(/^infera:network\.natGateways: /)
    expect(found[1]).toMatch(/^infera:database\.backupRetentionDays: /)
  })

  it('refuses unpinned images', () => {
    const raw = withKeys('dev', {
      'infera:images': patched('dev', 'infera:images', { gateway: 'latest' }),
    })
    expect(problems(raw)).toEqual([
      'infera:images.gateway: must be pinned: `latest` is not allowed',
    ])
  })

  it('refuses node groups whose sizes are out of order', () => {
    const cluster = JSON.parse(stackConfig('dev')['infera:cluster'] as string)
    cluster.gpuNodes[0].desiredSize = 5
    expect(problems(withKeys('dev', { 'infera:cluster': cluster }))).toEqual([
      'infera:cluster.gpuNodes.0: needs minSize <= desiredSize <= maxSize',
    ])
  })

  it('checks model groups: GPU counts only on GPU groups, each model in one group', () => {
    const groups = JSON.parse(stackConfig('prod')['infera:modelGroups'] as string)
    groups[0].gpus = 1
    groups.push({ ...groups[1], name: 'transformers-b' })
    expect(problems(withKeys('prod', { 'infera:modelGroups': groups }))).toEqual([
      'infera:modelGroups.0.gpus: only GPU groups take gpus',
      'infera:modelGroups.2.models: model sentiment is already served by group transformers',
    ])
  })

  it('needs each group to list its models', () => {
    const groups = JSON.parse(stackConfig('prod')['infera:modelGroups'] as string)
    const { models: _, ...withoutModels } = groups[1]
    expect(
      problems(
        withKeys('prod', { 'infera:modelGroups': [{ ...groups[0], models: [] }, withoutModels] }),
      ),
    ).toEqual([
      'infera:modelGroups.0.models: a group lists the models it serves',
      'infera:modelGroups.1.models: a group lists the models it serves',
    ])
    expect(
      problems(withKeys('prod', { 'infera:modelGroups': [{ ...groups[0], models: 'penguins' }] })),
    ).toEqual(['infera:modelGroups.0.models: Invalid input: expected array, received string'])
  })

  it('has no registry flag any more: every group follows the registry for its models', () => {
    const groups = JSON.parse(stackConfig('prod')['infera:modelGroups'] as string)
    expect(
      problems(withKeys('prod', { 'infera:modelGroups': [{ ...groups[0], registry: true }] })),
    ).toEqual(['infera:modelGroups.0: Unrecognized key: "registry"'])
  })

  it("defaults the canary policy to the registry's, and checks it", () => {
    const dev = parseConfig(stackConfig('dev'), 'dev')
    expect(stackConfig('dev')['infera:canary']).toBeUndefined()
    expect(dev.canary).toEqual({
      analysisSeconds: DEFAULT_CANARY_POLICY.analysisSeconds,
      minRequests: DEFAULT_CANARY_POLICY.minRequests,
      weight: 10,
    })
    expect(parseConfig(withKeys('dev', { 'infera:canary': { weight: 25 } }), 'dev').canary).toEqual(
      { ...dev.canary, weight: 25 },
    )
    const canary = (fields: Record<string, unknown>) =>
      withKeys('prod', { 'infera:canary': fields })
    expect(problems(canary({ weight: 0, minRequests: 0 }))).toEqual([
      'infera:canary.minRequests: Too small: expected number to be >0',
      'infera:canary.weight: must be above 0: a canary gets traffic',
    ])
    expect(problems(canary({ weight: 100, analysisSeconds: 1.5 }))).toEqual([
      'infera:canary.analysisSeconds: Invalid input: expected int, received number',
      'infera:canary.weight: must be below 100: production keeps some',
    ])
    expect(problems(canary({ maxErrorRatio: 0.5 }))).toEqual([
      'infera:canary: Unrecognized key: "maxErrorRatio"',
    ])
  })

  it("validates the gateway's auth with the gateway's own schema, and keeps JWT secrets out", () => {
    const keys = { api_keys: [{ tenant: 'acme', sha256: 'not-a-digest', models: ['*'] }] }
    const jwt = { jwt: { secret: 'hunter2' } }
    const gateway = (auth: unknown) => ({
      'infera:gateway': patched('dev', 'infera:gateway', { auth }),
    })
    expect(problems(withKeys('dev', gateway(keys)))).toEqual([
      'infera:gateway.auth.api_keys.0.sha256: must be a hex SHA-256 digest (64 hex characters)',
    ])
    expect(problems(withKeys('dev', gateway(jwt)))).toEqual([
      'infera:gateway.auth: a JWT secret must not sit in plain config: use a public_key or jwks_url',
    ])
  })

  it('refuses a public gateway without a TLS certificate outside dev', () => {
    const gateway = (stack: string, fields: Record<string, unknown>) => ({
      'infera:gateway': patched(stack, 'infera:gateway', fields),
    })
    const needed =
      "infera:gateway.certificateArn: needed for a public gateway outside dev (an ACM certificate for its NLB's TLS listener on 443)"
    for (const stack of ['staging', 'prod'])
      expect(problems(withKeys(stack, gateway(stack, { certificateArn: undefined })))).toEqual([
        needed,
      ])
    // Internal, or dev: plain HTTP stays allowed.
    expect(() =>
      parseConfig(
        withKeys('prod', gateway('prod', { certificateArn: undefined, internal: true })),
        'prod',
      ),
    ).not.toThrow()
    expect(parseConfig(stackConfig('dev'), 'dev').gateway.certificateArn).toBeUndefined()
    expect(
      problems(withKeys('prod', gateway('prod', { certificateArn: 'arn:aws:iam::1:x' }))),
    ).toEqual(['infera:gateway.certificateArn: must be an ACM certificate ARN'])
  })

  it('reads receiver secrets as Pulumi secrets, and checks them', async () => {
    const url = 'https://hooks.slack.com/services/T0/B0/abc'
    const config = parseConfig(withKeys('prod', { 'infera:slackWebhookUrl': url }), 'prod')
    expect(await pulumi.isSecret(config.secrets.slackWebhookUrl as pulumi.Output<string>)).toBe(
      true,
    )
    expect(problems(withKeys('prod', { 'infera:slackWebhookUrl': 'http://example.com' }))).toEqual([
      'infera:slackWebhookUrl: must be a Slack webhook URL',
    ])
    // dev names no Slack channel, so a webhook alone can't be used.
    expect(problems(withKeys('dev', { 'infera:slackWebhookUrl': url }))).toEqual([
      'infera:observability.slackChannel: needed with infera:slackWebhookUrl',
    ])
  })

  it('keeps a routing key of digits a string', async () => {
    const key = '12345678901234567890123456789012'
    const config = parseConfig(withKeys('prod', { 'infera:pagerdutyRoutingKey': key }), 'prod')
    expect(await resolve(config.secrets.pagerdutyRoutingKey as pulumi.Output<string>)).toBe(key)
  })
})
