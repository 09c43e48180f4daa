import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pulumi from '@pulumi/pulumi'
import { parse } from 'yaml'
import { NAMESPACE, parseConfig, SECRET_KEYS } from '../config/index.ts'
import { createPlatform } from '../program.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const PROJECT = 'infera'
export const ACCOUNT = '123456789012'

/** Property bags as the mocks hand them over: untyped JSON. */
type Props = pulumi.runtime.MockResourceArgs['inputs']

/** One resource the program declared, with what the mocked engine knows of it. */
export interface MockedResource {
  type: string
  name: string
  urn: string
  /** The parent's URN; undefined for top-level components. */
  parent?: string
  /** The URNs of the resources its `dependsOn` names (not those its inputs imply). */
  dependsOn: string[]
  /** Inputs as the program gave them: secrets are still wrapped (see `isSecret`). */
  inputs: Props
  /** Inputs plus the outputs the mocks made up, secrets unwrapped: what a policy sees. */
  props: Props
}

/**
 * A stack file's config as Pulumi hands it to a program: namespaced keys, scalars as text,
 * objects and arrays as JSON.
 */
export function stackConfig(stack: string): Record<string, string> {
  const file = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as {
    config: Record<string, unknown>
  }
  return Object.fromEntries(
    Object.entries(file.config).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  )
}

/** Outputs the mocks give each resource type, so that the program can read them. */
function mockState(type: string, name: string, inputs: Props, region: string) {
  const arn = `arn:aws:${type.split(':')[1]?.split('/')[0]}:${region}:${ACCOUNT}:${name}`
  switch (type) {
    case 'awsx:ec2:Vpc': {
      const zones = Array.from({ length: inputs.numberOfAvailabilityZones }, (_, i) => i)
      return {
        vpcId: `vpc-${name}`,
        publicSubnetIds: zones.map((i) => `subnet-public-${i}`),
        privateSubnetIds: zones.map((i) => `subnet-private-${i}`),
      }
    }
    case 'eks:index:Cluster':
      return {
        kubeconfigJson: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [] }),
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/MOCK`,
        oidcIssuer: `oidc.eks.${region}.amazonaws.com/id/MOCK`,
        clusterSecurityGroupId: `sg-${name}-cluster`,
      }
    case 'aws:s3/bucket:Bucket':
      return { bucket: `${name}-0a1b2c3`, arn: `arn:aws:s3:::${name}-0a1b2c3` }
    case 'aws:ecr/repository:Repository':
      return { repositoryUrl: `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${inputs.name}`, arn }
    case 'aws:rds/instance:Instance':
      return { address: `${name}.abcdefghij.${region}.rds.amazonaws.com`, arn }
    case 'random:index/randomPassword:RandomPassword':
      // Distinct per resource, so a test can tell where each one ends up.
      return {
        result: createHash('sha256')
          .update(name)
          .digest('hex')
          .padEnd(inputs.length, 'x')
          .slice(0, inputs.length),
      }
    case 'kubernetes:core/v1:Service':
      return inputs.spec?.type === 'LoadBalancer'
        ? {
            status: {
              loadBalancer: { ingress: [{ hostname: `${name}.elb.${region}.amazonaws.com` }] },
            },
          }
        : {}
    default:
      return { arn, name: inputs.name ?? `${name}-0a1b2c3` }
  }
}

export interface RunOptions {
  /** Config set on top of the stack file's (raw, as Pulumi passes it). */
  config?: Record<string, string>
}

/**
 * Runs the platform program for a stack under Pulumi's mocks, with the real stack file's config,
 * and returns every resource it declares, top-level components first.
 */
export async function runPlatform(stack: string, options: RunOptions = {}) {
  const raw = { ...stackConfig(stack), ...options.config }
  const secretKeys = SECRET_KEYS.map((key) => `${NAMESPACE}:${key}`).filter((key) => key in raw)
  pulumi.runtime.setAllConfig(raw, secretKeys)
  const region = raw['aws:region'] ?? 'us-east-1'

  const recorded = new Map<string, { type: string; name: string; inputs: Props; props: Props }>()
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        const state = { ...inputs, ...mockState(type, name, reveal(inputs), region) }
        const id: string = state.bucket ?? `${name}-id`
        const key = `${type}::${name}`
        if (recorded.has(key)) throw new Error(`two resources are both ${key}`)
        recorded.set(key, { type, name, inputs, props: reveal({ ...state, id }) })
        return { id, state }
      },
      call: ({ token }) => {
        throw new Error(`the platform program should make no invoke, but called ${token}`)
      },
    },
    PROJECT,
    stack,
    false,
  )

  // Components' children inherit the parent's transformations: this sees every local resource.
  const parents = new Map<string, string | undefined>()
  const dependencies = new Map<string, string[]>()
  const keyOf = new WeakMap<pulumi.Resource, string>()
  const track: pulumi.ResourceTransformation = ({ resource, type, name, opts }) => {
    const key = `${type}::${name}`
    keyOf.set(resource, key)
    parents.set(key, opts.parent ? keyOf.get(opts.parent) : undefined)
    // The program names resources it declared there, never outputs: anything else would go unseen.
    const named = [opts.dependsOn ?? []]
      .flat()
      .map((r) => pulumi.Resource.isInstance(r) && keyOf.get(r))
    if (!named.every((dependency) => typeof dependency === 'string'))
      throw new Error(`${key} depends on something the mocks can't name`)
    dependencies.set(key, named)
    return undefined
  }
  const outputs = createPlatform(parseConfig(raw, stack), { transformations: [track] })
  await pulumi.runtime.disconnect()

  const urns = new Map<string, string>()
  const urnOf = (key: string): string => {
    const known = urns.get(key)
    if (known) return known
    const [type, name] = splitKey(key)
    const parent = parents.get(key)
    const chain = parent ? `${urnOf(parent).split('::')[2]}$${type}` : type
    const urn = `urn:pulumi:${stack}::${PROJECT}::${chain}::${name}`
    urns.set(key, urn)
    return urn
  }
  const resources: MockedResource[] = [...recorded.entries()].map(([key, r]) => {
    const parent = parents.get(key)
    return {
      ...r,
      urn: urnOf(key),
      ...(parent ? { parent: urnOf(parent) } : {}),
      dependsOn: (dependencies.get(key) ?? []).map(urnOf),
    }
  })
  return { resources, outputs }
}

function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('::')
  return [key.slice(0, at), key.slice(at + 2)]
}

/** Whether a (mocked resource's) input value is a Pulumi secret. */
export const isSecret = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] ===
    pulumi.runtime.specialSecretSig

/** A value with every secret unwrapped, as the policy analyzer hands props to policies. */
export function reveal<T>(value: T): T {
  if (isSecret(value)) return reveal((value as { value: T }).value)
  if (Array.isArray(value)) return value.map(reveal) as T
  if (typeof value === 'object' && value !== null && !pulumi.Resource.isInstance(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)])) as T
  return value
}

/** An output's value, once the mocks have resolved it. */
export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply(done))
}
