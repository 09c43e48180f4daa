import type { ResourceValidationPolicy } from '@pulumi/policy'
import { allContainers, forPods } from './lib/kubernetes.ts'

/** Env var names that carry a credential: tokens, passwords, keys, a URL with a password in it. */
export const SECRET_ENV_NAME =
  /(TOKEN|PASSWORD|SECRET|SECRET_ACCESS_KEY|API_KEY|PRIVATE_KEY|ROUTING_KEY)$|^DATABASE_URL$/i

/**
 * A container's credentials come from a Secret (`valueFrom.secretKeyRef`), never a literal value:
 * a literal sits in the Deployment for anyone who may read it, and in every preview and diff.
 */
export const containersSecretEnv: ResourceValidationPolicy = {
  name: 'containers-secret-env',
  description: 'Env vars holding tokens, passwords or keys must come from a Kubernetes Secret.',
  enforcementLevel: 'mandatory',
  validateResource: forPods((spec, report) => {
    for (const container of allContainers(spec)) {
      for (const env of container.env ?? []) {
        if (!env.name || !SECRET_ENV_NAME.test(env.name)) continue
        if (env.valueFrom?.secretKeyRef?.name && env.valueFrom.secretKeyRef.key) continue
        report(
          `container ${container.name ?? '(unnamed)'} env ${env.name} must come from a Secret (valueFrom.secretKeyRef)`,
        )
      }
    }
  }),
}
