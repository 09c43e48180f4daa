import type { PolicyConfigSchema } from '@pulumi/policy'

export type Environment = 'dev' | 'staging' | 'prod'

/**
 * The policy config of rules that are stricter in production. Without config a stack counts as
 * prod: forgetting `--policy-pack-config` can only make a preview stricter, never laxer.
 */
export const environmentConfig: PolicyConfigSchema = {
  properties: {
    environment: { type: 'string', enum: ['dev', 'staging', 'prod'], default: 'prod' },
  },
}

export const environmentOf = (args: { getConfig<T extends object>(): T }): Environment =>
  args.getConfig<{ environment?: Environment }>().environment ?? 'prod'

export const isProduction = (args: { getConfig<T extends object>(): T }) =>
  environmentOf(args) === 'prod'
