import { describe, expect, it } from 'vitest'
import { eksControlPlaneLogging } from './eks-control-plane-logging.ts'
import { eksPrivateEndpoint } from './eks-private-endpoint.ts'
import { messages } from './testing.ts'

// The same settings on the EKS resource and on @pulumi/eks's component.
const resource = (vpcConfig: Record<string, unknown>, enabledClusterLogTypes?: string[]) => ({
  type: 'aws:eks/cluster:Cluster',
  name: 'cluster',
  props: { vpcConfig, enabledClusterLogTypes },
})
const component = (props: Record<string, unknown>) => ({
  type: 'eks:index:Cluster',
  name: 'eks',
  props,
})
const privateOnly = { endpointPrivateAccess: true, endpointPublicAccess: false }
const dev = { environment: 'dev' }

describe('eks-private-endpoint', () => {
  it('passes a private-only endpoint in production, and a public one in dev', async () => {
    expect(
      await messages(eksPrivateEndpoint, [resource(privateOnly), component(privateOnly)]),
    ).toEqual([])
    expect(
      await messages(eksPrivateEndpoint, [component({ endpointPublicAccess: true })], dev),
    ).toEqual([])
  })

  it('fails a public endpoint in production, explicit or by default', async () => {
    expect(
      await messages(eksPrivateEndpoint, [
        resource({ endpointPrivateAccess: true, endpointPublicAccess: true }),
      ]),
    ).toEqual(['endpointPublicAccess must be false in production'])
    expect(await messages(eksPrivateEndpoint, [component({})])).toEqual([
      'endpointPrivateAccess must be true in production',
      'endpointPublicAccess must be false in production',
    ])
  })
})

describe('eks-control-plane-logging', () => {
  it('passes a cluster sending the API, audit and authenticator logs', async () => {
    const logs = ['api', 'audit', 'authenticator', 'scheduler']
    expect(
      await messages(eksControlPlaneLogging, [
        resource({}, logs),
        component({ enabledClusterLogTypes: logs }),
      ]),
    ).toEqual([])
  })

  it('fails a cluster without logs, or without the audit log', async () => {
    expect(await messages(eksControlPlaneLogging, [component({})])).toEqual([
      'enabledClusterLogTypes is missing api, audit, authenticator',
    ])
    expect(
      await messages(eksControlPlaneLogging, [resource({}, ['api', 'authenticator'])]),
    ).toEqual(['enabledClusterLogTypes is missing audit'])
  })
})
