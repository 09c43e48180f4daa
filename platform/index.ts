// The Pulumi program (Pulumi.yaml's main): validate the stack's config, build the platform,
// export its outputs. Everything else lives in the components.
import { loadConfig } from './config/index.ts'
import { createPlatform } from './program.ts'

const platform = createPlatform(loadConfig())

export const gatewayUrl = platform.gatewayUrl
export const clusterName = platform.clusterName
/** A secret: `pulumi stack output kubeconfig --show-secrets > kubeconfig.json`. */
export const kubeconfig = platform.kubeconfig
export const buckets = platform.buckets
export const databaseEndpoint = platform.databaseEndpoint
export const databaseSecretArn = platform.databaseSecretArn
export const sagemakerRoleArn = platform.sagemakerRoleArn
export const repositories = platform.repositories
