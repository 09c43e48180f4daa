import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { authConfigSchema, metricsAccessSchema } from '../auth/index.ts'
import { rateLimitConfigSchema } from '../ratelimit/index.ts'

const MiB = 1024 * 1024
const positiveInt = z.number().int().positive()
const targets = z.array(z.url()).min(1)

const variantSchema = z.strictObject({
  name: z.string().min(1),
  weight: z.number().min(0).max(100),
  targets,
  /**
   * Pins the model version: a request that names none goes to this one (OIP and KServe V1 paths
   * gain `/versions/<version>`), so two versions on one server can split traffic.
   */
  version: z
    .string()
    .regex(/^[1-9][0-9]*$/, 'must be a model version number')
    .optional(),
})

const routeSchema = z
  .strictObject({
    /** A model name, or `*` for every model without a route of its own. */
    model: z.string().min(1),
    variants: z.array(variantSchema).min(1),
    /** Assigns a variant by a hash of this header's value, so one user stays on one variant. */
    sticky: z.strictObject({ header: z.string().min(1) }).optional(),
    /** Copies a sampled share of requests to these targets; their answers are only measured. */
    shadow: z.strictObject({ targets, sample: z.number().min(0).max(1) }).optional(),
    timeout_ms: positiveInt.default(10_000),
    /** Further attempts, each on another target, after a connection error or a 503. */
    retries: z.number().int().min(0).max(10).default(1),
  })
  .superRefine((route, ctx) => {
    const sum = route.variants.reduce((total, variant) => total + variant.weight, 0)
    // Weights are percentages; a little slack lets 33.3 + 33.3 + 33.4 through.
    if (Math.abs(sum - 100) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['variants'],
        message: `weights sum to ${sum}, not 100`,
      })
    }
    const names = route.variants.map((variant) => variant.name)
    for (const [i, name] of names.entries()) {
      if (names.indexOf(name) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'name'],
          message: `duplicate variant ${name}`,
        })
      }
    }
  })

/**
 * Routes, each model at most once; what a running gateway's `setRoutes` takes too. None at all is
 * allowed: a gateway following the registry may have no routes until a model is promoted.
 */
export const routesSchema = z.array(routeSchema).superRefine((routes, ctx) => {
  const models = routes.map((route) => route.model)
  for (const [i, model] of models.entries()) {
    if (models.indexOf(model) !== i) {
      ctx.addIssue({ code: 'custom', path: [i, 'model'], message: `duplicate route ${model}` })
    }
  }
})

const registrySchema = z
  .strictObject({
    /** The model registry service; its `GET /v1/models` is read every `poll_seconds`. */
    url: z.url(),
    poll_seconds: z.number().positive().default(5),
    /**
     * The inference servers that serve the registry's models, each version by its number: those
     * of no group. Without it, only the models a group names follow the registry.
     */
    targets: targets.optional(),
    /**
     * Model groups that each follow the registry for their own models (a GPU group and a CPU
     * group): a model named here routes to its group's targets alone.
     */
    groups: z
      .array(
        z.strictObject({
          /** Exact model names. */
          models: z.array(z.string().min(1)).min(1),
          targets,
        }),
      )
      .min(1)
      .optional(),
    /** For the registry's answer, and for each version's readiness check on a target. */
    timeout_ms: positiveInt.default(5000),
  })
  .superRefine((registry, ctx) => {
    if (!registry.targets && !registry.groups) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message: 'the registry needs targets, groups or both: somewhere to route its models',
      })
    }
    // A model has one route: in two groups, which group's targets it took would be a guess.
    const groupOf = new Map<string, number>()
    for (const [g, group] of (registry.groups ?? []).entries()) {
      for (const [m, model] of group.models.entries()) {
        const first = groupOf.get(model)
        if (first === undefined) groupOf.set(model, g)
        else {
          ctx.addIssue({
            code: 'custom',
            path: ['groups', g, 'models', m],
            message: `${model} is already in group ${first}: a model follows the registry in one group`,
          })
        }
      }
    }
  })

export const gatewayConfigSchema = z
  .strictObject({
    /** Optional with `registry`: the models it holds get routes from it. */
    routes: routesSchema.default([]),
    /**
     * Routes each model's production and canary aliases to their versions on its group's targets,
     * or on `targets`.
     */
    registry: registrySchema.optional(),
    auth: authConfigSchema.prefault({}),
    /** Scrape tokens for `/metrics`, closed without them unless `auth.open_paths` lists it. */
    metrics: metricsAccessSchema.optional(),
    /** Per-tenant token buckets; without them no tenant is limited. */
    rate_limits: rateLimitConfigSchema.optional(),
    limits: z
      .strictObject({
        max_body_bytes: positiveInt.default(32 * MiB),
        /** Upstream answers are read in full before they are sent on; a longer one is a 502. */
        max_response_bytes: positiveInt.default(64 * MiB),
      })
      .prefault({}),
    cors: z
      .strictObject({
        origins: z.array(z.string().min(1)).min(1),
        methods: z.array(z.string().min(1)).default(['GET', 'POST', 'OPTIONS']),
        headers: z.array(z.string().min(1)).default([]),
        expose_headers: z.array(z.string().min(1)).default([]),
        max_age: z.number().int().min(0).optional(),
        credentials: z.boolean().default(false),
      })
      .optional(),
    health_checks: z
      .strictObject({
        interval_ms: positiveInt.default(5000),
        path: z.string().startsWith('/').default('/v2/health/ready'),
        unhealthy_after: positiveInt.default(3),
        healthy_after: positiveInt.default(2),
        timeout_ms: positiveInt.default(2000),
      })
      .optional(),
    breaker: z
      .strictObject({
        /** Consecutive failures (connection errors, timeouts, 503s) that open a target's breaker. */
        failures: positiveInt.default(5),
        open_ms: positiveInt.default(10_000),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.routes.length === 0 && !config.registry) {
      ctx.addIssue({
        code: 'custom',
        path: ['routes'],
        message: 'a gateway needs at least one route, or a registry to follow',
      })
    }
  })

export type GatewayConfig = z.output<typeof gatewayConfigSchema>
/** A config file as written: defaults not yet applied. */
export type GatewayConfigFile = z.input<typeof gatewayConfigSchema>
export type RouteConfig = GatewayConfig['routes'][number]
/** A route as written: defaults not yet applied. */
export type RouteConfigFile = z.input<typeof routeSchema>
export type RegistryConfig = NonNullable<GatewayConfig['registry']>
export type VariantConfig = RouteConfig['variants'][number]

/** A config that can't be used; the message names the file and the key. */
export class GatewayConfigError extends Error {}

/** Validates an already-parsed config, each problem named by its key path and the file. */
export function validateGatewayConfig(value: unknown, source: string): GatewayConfig {
  return validate(gatewayConfigSchema, value, source)
}

/** Validates routes for a running gateway, each problem named by its key path. */
export function validateRoutes(value: unknown, source: string): RouteConfig[] {
  return validate(routesSchema, value, source)
}

function validate<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  )
  throw new GatewayConfigError(`${source} is invalid: ${problems.join('; ')}`)
}

/** A config file's text, JSON or YAML (YAML 1.2 reads JSON as is). */
export function parseGatewayConfig(text: string, source: string): GatewayConfig {
  let value: unknown
  try {
    value = parseYaml(text)
  } catch (error) {
    throw new GatewayConfigError(`${source} is not valid JSON or YAML: ${(error as Error).message}`)
  }
  return validateGatewayConfig(value, source)
}
