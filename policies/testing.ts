import type {
  Policies,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy'

/** A resource as a policy sees it, built by hand or from a mocked program run. */
export interface TestResource {
  type: string
  name: string
  props: Record<string, unknown>
  urn?: string
  /** Property name → the URNs of the resources its value came from. */
  propertyDependencies?: Record<string, string[]>
}

/** The policy config a test stands for, per policy: `{ environment: 'dev' }` and the like. */
export type TestConfig = Record<string, unknown>

export interface Violation {
  policy: string
  resource: string
  message: string
}

const urnOf = (r: TestResource) => r.urn ?? `urn:pulumi:test::test::${r.type}::${r.name}`

const common = (r: TestResource, config: TestConfig) => ({
  type: r.type,
  name: r.name,
  props: r.props,
  urn: urnOf(r),
  opts: {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  },
  isType: (cls: { __pulumiType?: string }) => cls.__pulumiType === r.type,
  getConfig: <T extends object>() => config as T,
  notApplicable: (reason?: string): never => {
    throw new Error(`not applicable: ${reason}`)
  },
})

function resourceArgs(r: TestResource, config: TestConfig): ResourceValidationArgs {
  const args = common(r, config)
  return {
    ...args,
    stackTags: new Map(),
    asType: ((cls: { __pulumiType?: string }) => (args.isType(cls) ? r.props : undefined)) as never,
  } as ResourceValidationArgs
}

function stackArgs(resources: TestResource[], config: TestConfig): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>()
  for (const r of resources) {
    const args = common(r, config)
    byUrn.set(args.urn, {
      ...args,
      dependencies: [],
      propertyDependencies: {},
      asType: ((cls: { __pulumiType?: string }) =>
        args.isType(cls) ? r.props : undefined) as never,
    } as PolicyResource)
  }
  for (const r of resources) {
    const resource = byUrn.get(urnOf(r)) as PolicyResource
    for (const [prop, urns] of Object.entries(r.propertyDependencies ?? {}))
      resource.propertyDependencies[prop] = urns.flatMap((urn) => byUrn.get(urn) ?? [])
  }
  return {
    resources: [...byUrn.values()],
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason}`)
    },
  }
}

const isStackPolicy = (
  policy: ResourceValidationPolicy | StackValidationPolicy,
): policy is StackValidationPolicy => 'validateStack' in policy

/**
 * Runs policies over resources as the analyzer would — resource policies on each resource, stack
 * policies on them all — and returns the violations. `config` maps a policy's name to its config.
 */
export async function evaluate(
  policies: Policies,
  resources: TestResource[],
  config: Record<string, TestConfig> = {},
): Promise<Violation[]> {
  const violations: Violation[] = []
  for (const policy of policies) {
    const policyConfig = config[policy.name] ?? {}
    const report = (resource: string) => (message: string, urn?: string) =>
      violations.push({ policy: policy.name, resource: urn ?? resource, message })
    if (isStackPolicy(policy)) {
      await policy.validateStack(stackArgs(resources, policyConfig), report('(stack)'))
      continue
    }
    const validations = [policy.validateResource ?? []].flat()
    for (const r of resources)
      for (const validate of validations)
        await validate(resourceArgs(r, policyConfig), report(urnOf(r)))
  }
  return violations
}

/** The messages one policy reports for the given resources. */
export async function messages(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  resources: TestResource[],
  config: TestConfig = {},
): Promise<string[]> {
  const violations = await evaluate([policy], resources, { [policy.name]: config })
  return violations.map((v) => v.message)
}
