// The OpenTelemetry collector (AWS distribution, to X-Ray) and the services' wiring to it, under
// Pulumi's mocks for every stack file.

import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { parseConfig } from '../config/index.ts'
import { NAMESPACE as SERVICES_NAMESPACE } from '../services/index.ts'
import { ACCOUNT, stackConfig } from '../testing/mocks.ts'
import { type PlatformRun, platformRun, policyDocument } from '../testing/stacks.ts'
import {
  COLLECTOR_IMAGE,
  DEFAULT_TRACE_SAMPLE_RATIO,
  NAMESPACE,
  OTLP_ENDPOINT,
  OTLP_HTTP_PORT,
  XRAY_WRITE_POLICY,
} from './index.ts'

const STACKS = ['dev', 'staging', 'prod'] as const
const DEPLOYMENT = 'kubernetes:apps/v1:Deployment'
type Env = { name: string; value?: string }[]

const runs = {} as Record<(typeof STACKS)[number], PlatformRun>
beforeAll(async () => {
  for (const stack of STACKS) runs[stack] = await platformRun(stack)
})
const configOf = (stack: string) => parseConfig(stackConfig(stack), stack)

/** Each services Deployment's main container env, by Deployment name. */
function serviceEnv(run: PlatformRun): Record<string, Record<string, string | undefined>> {
  return Object.fromEntries(
    run.find
      .all(DEPLOYMENT)
      .filter((d) => d.props.metadata.namespace === SERVICES_NAMESPACE)
      .map((d) => [
        d.props.metadata.name,
        Object.fromEntries(
          (d.props.spec.template.spec.containers[0].env as Env).map((e) => [e.name, e.value]),
        ),
      ]),
  )
}

describe.each(STACKS)('tracing on %s', (stack) => {
  const collector = () => runs[stack].find.one(DEPLOYMENT, '-otel-collector')

  it('runs the pinned ADOT collector with its config, as a Service on OTLP/HTTP 4318', () => {
    const spec = collector().props.spec.template.spec
    const [container] = spec.containers
    expect(COLLECTOR_IMAGE).toMatch(
      /^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+$/,
    )
    expect(container.image).toBe(COLLECTOR_IMAGE)
    expect(container.args).toEqual(['--config=/etc/otel/config.yaml'])
    const configMap = runs[stack].find.one('kubernetes:core/v1:ConfigMap', '-otel-collector')
    expect(spec.volumes).toEqual([
      { name: 'config', configMap: { name: configMap.props.metadata.name } },
    ])
    const service = runs[stack].find.one('kubernetes:core/v1:Service', '-otel-collector')
    expect(service.props.metadata).toMatchObject({ name: 'otel-collector', namespace: NAMESPACE })
    expect(service.props.spec.ports).toEqual([
      { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
    ])
    expect(OTLP_ENDPOINT).toBe(`http://otel-collector.${NAMESPACE}.svc.cluster.local:4318`)
  })

  it("receives OTLP over HTTP and exports to X-Ray in the stack's region", () => {
    const configMap = runs[stack].find.one('kubernetes:core/v1:ConfigMap', '-otel-collector')
    const config = parse(configMap.props.data['config.yaml'])
    expect(config.receivers).toEqual({
      otlp: { protocols: { http: { endpoint: '0.0.0.0:4318' } } },
    })
    expect(config.exporters).toEqual({ awsxray: { region: configOf(stack).region } })
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'batch'],
      exporters: ['awsxray'],
    })
    // Probed on the health_check extension's port, not the receiver's.
    const [container] = collector().props.spec.template.spec.containers
    expect(config.extensions.health_check.endpoint).toBe('0.0.0.0:13133')
    expect(container.ports).toContainEqual({ name: 'health', containerPort: 13133 })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/', port: 'health' })
  })

  it('writes to X-Ray as its own IRSA role, which only its service account can assume', () => {
    const { find } = runs[stack]
    const role = find.one('aws:iam/role:Role', '-otel-collector')
    const attachment = find.one(
      'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
      '-otel-collector-AWSXRayDaemonWriteAccess',
    )
    expect(attachment.props.policyArn).toBe(XRAY_WRITE_POLICY)
    expect(attachment.parent).toBe(role.urn)
    const trust = policyDocument(role.props.assumeRolePolicy).Statement[0]
    expect(trust?.Principal?.Federated).toMatch(`arn:aws:iam::${ACCOUNT}:oidc-provider/`)
    expect(Object.values(trust?.Condition?.StringEquals ?? {})).toContain(
      `system:serviceaccount:${NAMESPACE}:otel-collector`,
    )
    const account = find.one('kubernetes:core/v1:ServiceAccount', '-otel-collector')
    expect(account.props.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(role.props.arn)
    expect(collector().props.spec.template.spec.serviceAccountName).toBe(
      account.props.metadata.name,
    )
  })

  it("admits spans only from the services' namespace", () => {
    const policy = runs[stack].find.one(
      'kubernetes:networking.k8s.io/v1:NetworkPolicy',
      '-otel-collector',
    )
    expect(policy.props.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': SERVICES_NAMESPACE },
            },
          },
        ],
        ports: [{ port: 'otlp-http' }],
      },
    ])
  })

  it('points every service at the collector, named by its component, sampling parent-based', () => {
    const deployments = runs[stack].find
      .all(DEPLOYMENT)
      .filter((d) => d.props.metadata.namespace === SERVICES_NAMESPACE)
    expect(deployments.map((d) => d.props.metadata.labels['app.kubernetes.io/component'])).toEqual(
      expect.arrayContaining(['registry', 'inference', 'drift', 'gateway']),
    )
    const env = serviceEnv(runs[stack])
    for (const { props } of deployments) {
      const { name, labels } = props.metadata
      expect(env[name], name).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT,
        OTEL_SERVICE_NAME: `infera-${labels['app.kubernetes.io/component']}`,
        OTEL_RESOURCE_ATTRIBUTES: `service.namespace=infera,k8s.deployment.name=${name}`,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(
          configOf(stack).observability.traceSampleRatio ?? DEFAULT_TRACE_SAMPLE_RATIO,
        ),
      })
    }
  })
})

it("samples new traces at the stack's observability.traceSampleRatio", async () => {
  const observability = JSON.parse(stackConfig('dev')['infera:observability'] as string)
  const run = await platformRun('dev', {
    config: { 'infera:observability': JSON.stringify({ ...observability, traceSampleRatio: 0.5 }) },
  })
  const ratios = Object.values(serviceEnv(run)).map((env) => env.OTEL_TRACES_SAMPLER_ARG)
  expect(ratios.length).toBeGreaterThan(3)
  expect(new Set(ratios)).toEqual(new Set(['0.5']))
})
