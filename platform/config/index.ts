import * as pulumi from '@pulumi/pulumi'
import { z } from 'zod'
import { authConfigSchema } from '../../services/gateway/src/auth/index.ts'
import { rateLimitConfigSchema } from '../../services/gateway/src/ratelimit/index.ts'
import { DEFAULT_CANARY_POLICY } from '../../services/registry/src/canary/analysis.ts'

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

const nodeGroup = z
  .strictObject({
    instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/)).min(1),
    minSize: count,
    desiredSize: count,
    maxSize: positiveInt,
    diskSize: positiveInt,
    capacityType: z.enum(['ON_DEMAND', 'SPOT']),
  })
  .refine(
    (g) => g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize,
    'needs minSize <= desiredSize <= maxSize',
  )

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
  network: z.strictObject({
    cidrBlock: z.cidrv4(),
    availabilityZones: z.number().int().min(2).max(3),
    natGateways: z.enum(['single', 'one-per-az']),
  }),
  cluster: z.strictObject({
    version: z.string().regex(/^1\.\d{2}$/, 'must be a Kubernetes minor version such as 1.34'),
    endpointPublicAccess: z.boolean(),
    publicAccessCidrs: z.array(z.cidrv4()).default([]),
    logTypes: z.array(z.enum(LOG_TYPES)).min(1),
    /** IAM principals given cluster-admin through EKS access entries. */
    admins: z.array(z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/.+$/)).default([]),
    systemNodes: nodeGroup,
    gpuNodes: nodeGroup,
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
      .regex(/^arn:aws[\w-]*:acm:/)
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
