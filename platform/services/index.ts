import * as pulumi from '@pulumi/pulumi'
import { DatabaseRoles } from '../database/index.ts'
import { type Context, NAMESPACE, type ServicesArgs } from './context.ts'
import { ServiceTokens } from './credentials.ts'
import { drift } from './drift.ts'
import { gateway } from './gateway.ts'
import { inferenceGroup } from './inference.ts'
import { restrictedNamespace } from './pod.ts'
import { modelRegistry } from './registry.ts'

export { NAMESPACE, type ServicesArgs } from './context.ts'
export { gatewayWorkers } from './gateway.ts'
export { REGISTRY_PREFIX } from './registry.ts'

/**
 * The services on the cluster, in the `infera` namespace (Pod Security `restricted`): the model
 * registry, one inference Deployment per model group (CPU or GPU), the drift service, and the
 * gateway behind a Network Load Balancer.
 */
export class Services extends pulumi.ComponentResource {
  readonly gatewayUrl: pulumi.Output<string>

  constructor(name: string, args: ServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Services', name, {}, opts)
    const onCluster = { parent: this, provider: args.provider }
    const namespace = restrictedNamespace(`${name}-${NAMESPACE}`, NAMESPACE, onCluster)
    const inNamespace = { ...onCluster, dependsOn: [namespace] }
    // One database, each service as its own role in its own schema, never as the master user.
    const roles = new DatabaseRoles(
      `${name}-db`,
      {
        provider: args.provider,
        namespace: NAMESPACE,
        namespaceReady: [namespace],
        adminUrl: args.database.adminUrl,
        host: args.database.host,
        port: 5432,
        database: args.database.name,
      },
      { parent: this },
    )
    const ctx: Context = {
      name,
      args,
      opts: inNamespace,
      tokens: new ServiceTokens(name, NAMESPACE, { ...inNamespace, parent: this }),
      image: (repo, tag) => pulumi.interpolate`${args.repositories[repo].repositoryUrl}:${tag}`,
      databaseUrl: (role) => ({
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: roles.secrets[role].metadata.name, key: 'url' } },
      }),
      databaseReady: roles.job,
    }

    const registry = modelRegistry(ctx)
    const groups = args.config.modelGroups.map((group) => ({
      models: group.models,
      targets: [inferenceGroup(ctx, group, registry).url],
    }))
    drift(ctx, registry)
    this.gatewayUrl = gateway(ctx, { url: registry.url, groups })
    this.registerOutputs({ gatewayUrl: this.gatewayUrl })
  }
}
