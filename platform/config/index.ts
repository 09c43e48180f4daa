import { BlockList } from 'node:net'
import * as pulumi from '@pulumi/pulumi'
import { z } from 'zod'
import { authConfigSchema } from '../../services/gateway/src/auth/index.ts'
import { rateLimitConfigSchema } from '../../services/gateway/src/ratelimit/index.ts'
import { DEFAULT_CANARY_POLICY } from '../../services/registry/src/canary/analysis.ts'
import { planSubnets } from '../network/subnets.ts'

/** The project's config namespace: every key below is `infera:<key>` in the stack files. */
export const NAMESPACE = 'infera'

const positiveInt = z.number().int().positive()
const count = z.number().int().min(0)
/** A Kubernetes quantity such as `500m`, `2` or `4Gi`. */
const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, 'must be a Kubernetes quantity')
/** A DNS-1123 label: namespaces, Deployments and Services are named after it. */
const dnsLabel = z
  .string()
  .regex(
    /^[a-z]([-a-z0-9]{0,28}[a-z0-9])?$/,
    'must be a lowercase DNS label of at most 30 characters',
  )

/** An image tag that names one build: never `latest`, so every rollout is reproducible. */
const imageTag = z
  .string()
  .regex(/^[\w][\w.-]{0,127}$/, 'must be a Docker image tag')
  .refine((tag) => tag !== 'latest', 'must be pinned: `latest` is not allowed')

const replicas = z
  .strictObject({ min: positiveInt, max: positiveInt })
  .refine((r) => r.min <= r.max, 'min must not exceed max')

const NODE_GROUP_SIZES = 'needs minSize <= desiredSize <= maxSize'
const nodeGroupSizes = {
  minSize: count,
  desiredSize: count,
  maxSize: positiveInt,
  diskSize: positiveInt,
  capacityType: z.enum(['ON_DEMAND', 'SPOT']),
}
const sizesInOrder = (g: { minSize: number; desiredSize: number; maxSize: number }) =>
  g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize
const instanceType = z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/)

const nodeGroup = z
  .strictObject({ instanceTypes: z.array(instanceType).min(1), ...nodeGroupSizes })
  .refine(sizesInOrder, NODE_GROUP_SIZES)

/**
 * One GPU instance type per managed group: the cluster autoscaler sizes a group from one instance
 * type, so g5 and g6 mixed in one group would be scaled on the wrong GPU's shape.
 */
const gpuNodeGroup = z
  .strictObject({
    instanceType,
    /** The GPU, as `k8s.amazonaws.com/accelerator` (the autoscaler's GPU label) names it. */
    accelerator: z.string().regex(/^nvidia-[a-z0-9-]+$/, 'must name an NVIDIA GPU, e.g. nvidia-l4'),
    ...nodeGroupSizes,
  })
  .refine(sizesInOrder, NODE_GROUP_SIZES)

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
]
const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id')
const iamPrincipal = z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/.+$/)

/** Whether every address of `inner` lies in one of `outer` (IPv4 CIDRs). */
function covered(inner: string, outer: string[]): boolean {
  const [address, prefix] = inner.split('/') as [string, string]
  return outer.some((cidr) => {
    const [network, bits] = cidr.split('/') as [string, string]
    const list = new BlockList()
    list.addSubnet(network, Number(bits))
    return Number(prefix) >= Number(bits) && list.check(address)
  })
}

const LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const

const GROUP_WITHOUT_MODELS = 'a group lists the models it serves'

const modelGroup = z
  .strictObject({
    name: dnsLabel,
    accelerator: z.enum(['cpu', 'gpu']),
    /**
     * The models this group serves: it follows the registry for these alone (their production and
     * canary versions), and the gateway routes them to this group's Service.
     */
    models: z
      .array(z.string().regex(/^[\w.-]+$/), {
        error: (issue) => (issue.input === undefined ? GROUP_WITHOUT_MODELS : undefined),
      })
      .min(1, GROUP_WITHOUT_MODELS),
    replicas,
    cpu: quantity,
    memory: quantity,
    /** GPUs per replica; GPU groups only. */
    gpus: positiveInt.optional(),
    /** The HPA's target CPU utilisation in percent. */
    targetCpuUtilization: z.number().int().min(10).max(100),
  })
  .superRefine((group, ctx) => {
    if (group.accelerator === 'gpu' && group.gpus === undefined)
      ctx.addIssue({ code: 'custom', path: ['gpus'], message: 'a GPU group needs gpus' })
    if (group.accelerator === 'cpu' && group.gpus !== undefined)
      ctx.addIssue({ code: 'custom', path: ['gpus'], message: 'only GPU groups take gpus' })
  })

/** Every non-secret key, each validated on its own so an error names `infera:<key>`. */
export const configSchema = {
  environment: z.enum(['dev', 'staging', 'prod']),
  network: z
    .strictObject({
      cidrBlock: z.cidrv4(),
      availabilityZones: z.number().int().min(2).max(3),
      natGateways: z.enum(['single', 'one-per-az']),
      /** Each AZ's subnet sizes: public for load balancers and NAT, private for pods (VPC CNI). */
      subnets: z
        .strictObject({
          publicMask: z.number().int().min(16).max(28).default(20),
          privateMask: z.number().int().min(16).max(28).default(18),
        })
        .prefault({}),
    })
    .superRefine((network, ctx) => {
      // AWS refuses subnets outside the VPC or overlapping: refused here, before anything is made.
      try {
        planSubnets(network.cidrBlock, network.availabilityZones, network.subnets)
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['subnets'], message: (error as Error).message })
      }
    }),
  cluster: z
    .strictObject({
      version: z.string().regex(/^1\.\d{2}$/, 'must be a Kubernetes minor version such as 1.34'),
      endpointPublicAccess: z.boolean(),
      /** Who may call the public endpoint; required with it (EKS would open it to 0.0.0.0/0). */
      publicAccessCidrs: z.array(z.cidrv4()).default([]),
      /** Sources let in to the private endpoint: 443 ingress rules on the cluster security group. */
      privateAccessCidrs: z.array(z.cidrv4()).default([]),
      privateAccessSecurityGroups: z.array(securityGroupId).default([]),
      /** Where `pulumi up` runs from, and as whom: refused unless that can reach the API. */
      ci: z
        .strictObject({
          roleArn: iamPrincipal,
          cidrs: z.array(z.cidrv4()).default([]),
          securityGroupIds: z.array(securityGroupId).default([]),
        })
        .refine(
          (ci) => ci.cidrs.length + ci.securityGroupIds.length > 0,
          'needs the cidrs or securityGroupIds the CI runner calls the API from',
        ),
      logTypes: z.array(z.enum(LOG_TYPES)).min(1),
      /** How long CloudWatch keeps control-plane logs (by default it keeps them forever). */
      logRetentionDays: z.number().refine((days) => LOG_RETENTION_DAYS.includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
      /**
       * IAM principals given cluster-admin through EKS access entries: the CI role and the
       * operators. Without any, only whoever created the cluster could administer it.
       */
      admins: z.array(iamPrincipal).min(1, 'needs the CI role and the operators'),
      systemNodes: nodeGroup,
      gpuNodes: z.array(gpuNodeGroup).min(1),
    })
    .superRefine((cluster, ctx) => {
      const problem = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message })
      if (cluster.endpointPublicAccess && !cluster.publicAccessCidrs.length)
        problem('publicAccessCidrs', 'a public endpoint needs the CIDRs allowed to call it')
      if (!cluster.endpointPublicAccess && cluster.publicAccessCidrs.length)
        problem('publicAccessCidrs', 'only a public endpoint takes publicAccessCidrs')
      if (!cluster.admins.includes(cluster.ci.roleArn))
        problem('admins', `must include the CI role ${cluster.ci.roleArn}`)
      const reachable = [
        ...(cluster.endpointPublicAccess ? cluster.publicAccessCidrs : []),
        ...cluster.privateAccessCidrs,
      ]
      for (const cidr of cluster.ci.cidrs)
        if (!covered(cidr, reachable))
          problem('ci', `CI at ${cidr} can't reach the API: no public or private access covers it`)
      for (const group of cluster.ci.securityGroupIds)
        if (!cluster.privateAccessSecurityGroups.includes(group))
          problem('ci', `CI in ${group} can't reach the API: add it to privateAccessSecurityGroups`)
      const types = cluster.gpuNodes.map((g) => g.instanceType)
      if (new Set(types).size !== types.length)
        problem('gpuNodes', 'one group per GPU instance type')
    }),
  database: z.strictObject({
    engineVersion: z.string().regex(/^\d+(\.\d+)?$/),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/),
    allocatedStorage: z.number().int().min(20),
    maxAllocatedStorage: z.number().int().min(20),
    multiAz: z.boolean(),
    backupRetentionDays: z.number().int().min(1).max(35),
    deletionProtection: z.boolean(),
  }),
  storage: z.strictObject({
    captureExpirationDays: positiveInt,
    reportExpirationDays: positiveInt,
    /** Lets `pulumi destroy` delete non-empty buckets: for throwaway stacks only. */
    forceDestroy: z.boolean(),
  }),
  observability: z.strictObject({
    prometheusRetention: z.string().regex(/^\d+[hdw]$/),
    prometheusStorageGb: positiveInt,
    /** The share of new traces sampled (0 to 1; 0.1 unset); a sampled caller's are always kept. */
    traceSampleRatio: z.number().min(0).max(1).optional(),
    slackChannel: z.string().min(1).optional(),
    /** E-mail notifications through an SMTP relay that takes mail from the cluster unauthenticated. */
    email: z
      .strictObject({
        to: z.email(),
        from: z.email(),
        /** `host:port` of the relay. */
        smarthost: z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port'),
      })
      .optional(),
  }),
  images: z.strictObject({
    inference: imageTag,
    inferenceGpu: imageTag,
    gateway: imageTag,
    drift: imageTag,
    registry: imageTag,
    trainer: imageTag,
  }),
  modelGroups: z
    .array(modelGroup)
    .min(1)
    .superRefine((groups, ctx) => {
      // A model follows the registry in one group: in two, both would load it, and the gateway
      // could route it to only one of them.
      const seen = new Map<string, string>()
      for (const [i, group] of groups.entries()) {
        if (groups.findIndex((g) => g.name === group.name) !== i)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            message: `duplicate group ${group.name}`,
          })
        for (const model of group.models) {
          const other = seen.get(model)
          if (other)
            ctx.addIssue({
              code: 'custom',
              path: [i, 'models'],
              message: `model ${model} is already served by group ${other}`,
            })
          seen.set(model, group.name)
        }
      }
    }),
  gateway: z.strictObject({
    replicas,
    /** An internal NLB keeps the gateway inside the VPC (and peered networks). */
    internal: z.boolean(),
    /** An ACM certificate: the NLB terminates TLS on 443 with it. */
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[\w-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/,
        'must be an ACM certificate ARN',
      )
      .optional(),
    // The platform decides the open paths: the gateway faces the internet.
    auth: authConfigSchema
      .omit({ open_paths: true })
      .refine(
        (auth) => !auth.jwt?.secret,
        'a JWT secret must not sit in plain config: use a public_key or jwks_url',
      ),
    rateLimits: rateLimitConfigSchema.optional(),
  }),
  drift: z.strictObject({
    windowSize: positiveInt,
    /** Consecutive drifted windows before retraining starts. */
    retrainAfter: positiveInt,
    trainer: z.enum(['none', 'sagemaker']),
    /** The share of predictions the inference pods capture for drift and retraining. */
    captureSample: z.number().min(0).max(1),
  }),
  /** Canaries: the registry's controller judges them; drift's retraining starts them. */
  canary: z
    .strictObject({
      /** How long a canary serves within the SLOs before it is promoted. */
      analysisSeconds: positiveInt.default(DEFAULT_CANARY_POLICY.analysisSeconds),
      /** Canary requests needed for any verdict. */
      minRequests: positiveInt.default(DEFAULT_CANARY_POLICY.minRequests),
      /** The traffic share, in percent, of a retrained version that passed the gate. */
      weight: z
        .number()
        .gt(0, 'must be above 0: a canary gets traffic')
        .lt(100, 'must be below 100: production keeps some')
        .default(10),
    })
    .prefault({}),
}

/** Keys read as Pulumi secrets; each is optional and turns on one Alertmanager receiver. */
export const SECRET_KEYS = ['pagerdutyRoutingKey', 'slackWebhookUrl', 'heartbeatUrl'] as const
const secretSchema = {
  pagerdutyRoutingKey: z.string().regex(/^\w{32}$/, 'must be a 32-character routing key'),
  slackWebhookUrl: z.url().startsWith('https://hooks.slack.com/', 'must be a Slack webhook URL'),
  /** A dead-man's switch the always-firing watchdog alert pings. */
  heartbeatUrl: z.url().startsWith('https://', 'must be an https URL'),
} satisfies Record<(typeof SECRET_KEYS)[number], z.ZodType>

type Plain = { [K in keyof typeof configSchema]: z.output<(typeof configSchema)[K]> }
type Secrets = { [K in (typeof SECRET_KEYS)[number]]?: pulumi.Output<string> }

export type PlatformConfig = Plain & {
  /** `aws:region`, which the AWS provider reads too. */
  region: string
  /** The stack's name: physical names are derived from it. */
  stack: string
  secrets: Secrets
}
export type ModelGroup = PlatformConfig['modelGroups'][number]
export type NodeGroupConfig = PlatformConfig['cluster']['systemNodes']

const namespaced = (key: string) => `${NAMESPACE}:${key}`

/** A stack whose config can't be used; the message names every wrong key (a RunError: no stack). */
export class ConfigError extends pulumi.RunError {}

/**
 * Validates raw config values, as Pulumi hands them to the program (strings; objects and arrays
 * as JSON), before any resource is declared. Every problem is reported at once, by its key.
 */
export function parseConfig(
  raw: Record<string, string | undefined>,
  stack: string,
): PlatformConfig {
  const problems: string[] = []
  const values: Record<string, unknown> = {}
  const parse = (key: string, schema: z.ZodType, optional: boolean) => {
    const text = raw[key]
    if (text === undefined) {
      // A key whose schema has defaults may be left out.
      const defaults = schema.safeParse(undefined)
      if (defaults.success) values[key] = defaults.data
      else if (!optional) problems.push(`${key}: missing`)
      return
    }
    const result = schema.safeParse(decode(text))
    if (result.success) values[key] = result.data
    else
      for (const issue of result.error.issues)
        problems.push(`${[key, ...issue.path].join('.')}: ${issue.message}`)
  }
  parse('aws:region', z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/), false)
  for (const [key, schema] of Object.entries(configSchema))
    parse(`${NAMESPACE}:${key}`, schema, false)
  for (const key of SECRET_KEYS) parse(`${NAMESPACE}:${key}`, secretSchema[key], true)
  // A misspelt key would otherwise be ignored, and only its correct twin reported missing.
  const known = new Set([...Object.keys(configSchema), ...SECRET_KEYS].map(namespaced))
  for (const key of Object.keys(raw))
    if (key.startsWith(`${NAMESPACE}:`) && !known.has(key)) problems.push(`${key}: unknown key`)
  const alerting = values[`${NAMESPACE}:observability`] as Plain['observability'] | undefined
  if (raw[`${NAMESPACE}:slackWebhookUrl`] !== undefined && !alerting?.slackChannel)
    problems.push(`${NAMESPACE}:observability.slackChannel: needed with infera:slackWebhookUrl`)
  // Outside dev, an internet-facing gateway serves only TLS: without a certificate it would be HTTP.
  const gateway = values[`${NAMESPACE}:gateway`] as Plain['gateway'] | undefined
  const environment = values[`${NAMESPACE}:environment`]
  if (
    environment &&
    environment !== 'dev' &&
    gateway &&
    !gateway.internal &&
    !gateway.certificateArn
  )
    problems.push(
      `${NAMESPACE}:gateway.certificateArn: needed for a public gateway outside dev (an ACM certificate for its NLB's TLS listener on 443)`,
    )
  if (problems.length)
    throw new ConfigError(`stack ${stack} has invalid config:\n  ${problems.join('\n  ')}`)
  const plain = Object.fromEntries(
    Object.keys(configSchema).map((key) => [key, values[`${NAMESPACE}:${key}`]]),
  ) as Plain
  const secrets: Secrets = {}
  for (const key of SECRET_KEYS) {
    const value = values[`${NAMESPACE}:${key}`]
    if (typeof value === 'string') secrets[key] = pulumi.secret(value)
  }
  return { ...plain, region: values['aws:region'] as string, stack, secrets }
}

// Pulumi passes objects and arrays as JSON and scalars as their text, so a scalar is never parsed:
// a routing key of digits stays a string.
function decode(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** The running stack's config, validated. */
export function loadConfig(): PlatformConfig {
  return parseConfig(pulumi.runtime.allConfig(), pulumi.getStack())
}
