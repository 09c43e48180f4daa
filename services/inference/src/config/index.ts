import { z } from 'zod'

const positiveInt = z.number().int().positive()

/** The providers onnxruntime-node's API names; which of them a given build has is checked at load. */
export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const
const providerName = z.enum(EXECUTION_PROVIDERS)
const providerEntry = z
  .union(
    [providerName, z.strictObject({ name: providerName, optional: z.boolean().default(false) })],
    {
      error: `expected one of ${EXECUTION_PROVIDERS.join(', ')}, or {"name": <one of them>, "optional": true}`,
    },
  )
  .transform((entry) => (typeof entry === 'string' ? { name: entry, optional: false } : entry))

/** The providers that run on a GPU: a KIND_GPU instance needs one of them active. */
export const GPU_PROVIDERS: readonly ExecutionProviderName[] = ['cuda', 'tensorrt']
type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number]

/** Instances per model version, all groups together: each is a thread with its own session. */
export const MAX_INSTANCES = 16

const instanceKind = z
  .enum(['KIND_CPU', 'KIND_GPU', 'CPU', 'GPU'], {
    error: 'expected KIND_CPU or KIND_GPU (or CPU, GPU)',
  })
  .transform((kind) => (kind.endsWith('GPU') ? 'KIND_GPU' : 'KIND_CPU'))

/**
 * Triton's instance groups: `count` sessions of the model, each on its own thread. KIND_CPU runs on
 * onnxruntime's CPU provider whatever `execution_providers` says; KIND_GPU on `execution_providers`,
 * whose GPU provider must be active. Without `kind`, an instance runs on `execution_providers` as
 * listed (optional providers may drop out).
 */
const instanceGroup = z.strictObject({
  count: z.number().int().min(1).max(MAX_INSTANCES).default(1),
  kind: instanceKind.optional(),
})

const versionPolicy = z.union([
  z.strictObject({ latest: z.strictObject({ num_versions: positiveInt }) }),
  z.strictObject({ all: z.strictObject({}) }),
  z.strictObject({ specific: z.strictObject({ versions: z.array(positiveInt).min(1) }) }),
])

/** `DIR/<model>/config.json`: Triton's vocabulary, as JSON. Every field is optional. */
export const modelConfigSchema = z
  .strictObject({
    /** Informational; lets the registry and drift service pick metrics. */
    task: z.enum(['classification', 'regression']).optional(),
    /** The target column of the model's reference data. */
    target: z.string().optional(),
    /** Rows per `session.run`; 0 disables batching (the model has no batch dimension). */
    max_batch_size: z.number().int().min(0).max(65_536).default(64),
    dynamic_batching: z
      .strictObject({
        /** How long the first queued request may wait for batch-mates; 0 batches what is already queued. */
        max_queue_delay_microseconds: z.number().int().min(0).max(10_000_000).default(0),
        /** Requests waiting beyond this are refused with 503 and Retry-After. */
        max_queue_size: positiveInt.default(1024),
      })
      .prefault({}),
    intra_op_threads: z.number().int().min(0).max(256).optional(),
    /** Let idle intra-op threads spin: lower latency per run when the model has the machine to itself. */
    intra_op_spinning: z.boolean().default(false),
    /**
     * onnxruntime's execution providers, in priority order. Each must be active or the version is
     * UNAVAILABLE with the reason; `{name, optional: true}` lets the version load without it.
     */
    execution_providers: z
      .array(providerEntry)
      .min(1)
      .max(EXECUTION_PROVIDERS.length)
      .default([{ name: 'cpu', optional: false }])
      .refine((list) => new Set(list.map((p) => p.name)).size === list.length, {
        message: 'names a provider more than once',
      }),
    instance_group: z
      .array(instanceGroup)
      .min(1)
      .max(MAX_INSTANCES)
      .default([{ count: 1 }])
      .refine((groups) => groups.reduce((sum, g) => sum + g.count, 0) <= MAX_INSTANCES, {
        message: `counts add up to more than ${MAX_INSTANCES} instances`,
      }),
    version_policy: versionPolicy.default({ latest: { num_versions: 1 } }),
    /** Column names of each input tensor, in order: dict-style KServe V1 instances use them. */
    features: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
    /** Class labels of classifier outputs, by output tensor name. */
    labels: z.record(z.string(), z.array(z.string()).min(1)).default({}),
    /** Input tensors that are embeddings: capture keeps each row whole, as one vector feature. */
    embeddings: z.array(z.string().min(1)).default([]),
    /** Lets float inputs carry NaN or ±Infinity (binary tensors can); refused by default. */
    allow_non_finite_inputs: z.boolean().default(false),
  })
  .refine(
    (config) =>
      config.instance_group.every((g) => g.kind !== 'KIND_GPU') ||
      config.execution_providers.some((p) => GPU_PROVIDERS.includes(p.name)),
    {
      message: `a KIND_GPU instance_group needs a GPU provider (${GPU_PROVIDERS.join(' or ')}) in execution_providers`,
      path: ['instance_group'],
    },
  )

export type ModelConfig = z.infer<typeof modelConfigSchema>
/** A config.json as written: defaults not yet applied. */
export type ModelConfigFile = z.input<typeof modelConfigSchema>
export type VersionPolicy = ModelConfig['version_policy']
export type ExecutionProvider = ModelConfig['execution_providers'][number]
export type InstanceGroup = ModelConfig['instance_group'][number]

export const defaultModelConfig = (): ModelConfig => modelConfigSchema.parse({})

/** Validates a parsed config.json, with each problem named by its path. */
export function parseModelConfig(json: unknown, source = 'config.json'): ModelConfig {
  const result = modelConfigSchema.safeParse(json)
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  )
  throw new Error(`${source} is invalid: ${problems.join('; ')}`)
}

/** Which of the versions found on disk a policy serves. */
export function selectVersions(policy: VersionPolicy, available: readonly number[]): number[] {
  const sorted = [...available].sort((a, b) => b - a)
  if ('latest' in policy) return sorted.slice(0, policy.latest.num_versions)
  if ('all' in policy) return sorted
  return sorted.filter((v) => policy.specific.versions.includes(v))
}
