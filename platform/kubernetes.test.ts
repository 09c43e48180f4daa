// The Kubernetes side of the platform program (monitoring and the services), run under Pulumi's
// mocks for the real stack files; prod's run sets alert receivers' secrets as
// `pulumi config set --secret` would.
import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAlertmanagerConfig, buildDashboards, buildRuleGroups } from '../dashboards/index.ts'
import { createGatewayApp } from '../services/gateway/src/app/index.ts'
import { parseGatewayConfig } from '../services/gateway/src/config/index.ts'
import { PrometheusMetricsSource } from '../services/registry/src/canary/prometheus-metrics.ts'
import { CredentialVerifier, parseCredentials } from '../services/shared/credentials/index.ts'
import { isSecret, type MockedResource, resolve } from './testing/mocks.ts'
import { type PlatformRun, platformRun, policyDocument } from './testing/stacks.ts'

const SLACK = 'https://hooks.slack.com/services/T0/B0/secret'
const ROUTING_KEY = 'abcdefabcdefabcdefabcdefabcdef12'

let dev: PlatformRun
let prod: PlatformRun
beforeAll(async () => {
  dev = await platformRun('dev')
  // As `pulumi config set --secret` would: the receivers' secrets are set on top of the stack file.
  prod = await platformRun('prod', {
    config: { 'infera:slackWebhookUrl': SLACK, 'infera:pagerdutyRoutingKey': ROUTING_KEY },
  })
})

const RELEASE = 'kubernetes:helm.sh/v3:Release'
const stack = (run: PlatformRun) => run.find.one(RELEASE, '-kube-prometheus-stack')

describe('Observability', () => {
  it("has Grafana load every namespace's ConfigMaps labelled grafana_dashboard=1", () => {
    expect(stack(prod).props.values.grafana.sidecar.dashboards).toMatchObject({
      enabled: true,
      label: 'grafana_dashboard',
      labelValue: '1',
      searchNamespace: 'ALL',
    })
  })

  it('keeps Prometheus on gp3 storage sized per stack', () => {
    const spec = (run: PlatformRun) => stack(run).props.values.prometheus.prometheusSpec
    expect(spec(dev).retention).toBe('3d')
    expect(spec(prod).retention).toBe('15d')
    expect(spec(prod).storageSpec.volumeClaimTemplate.spec).toMatchObject({
      storageClassName: 'gp3',
      resources: { requests: { storage: '200Gi' } },
    })
  })

  it("routes alerts to the stack's receivers, the values being a secret", () => {
    const values = stack(prod)
    expect(isSecret(values.inputs.values)).toBe(true)
    expect(values.props.values.alertmanager.config).toEqual(
      buildAlertmanagerConfig({
        pagerduty: { routingKey: ROUTING_KEY },
        slack: { webhookUrl: SLACK, channel: '#infera-alerts' },
      }),
    )
  })

  it('sends alerts nowhere (and says so) without receivers', () => {
    expect(stack(dev).props.values.alertmanager.config).toEqual(buildAlertmanagerConfig({}))
  })

  it("makes a ConfigMap of each of dashboards/'s dashboards for Grafana's sidecar", () => {
    const dashboards = buildDashboards()
    // The tracing collector's config is the one ConfigMap of another kind.
    const maps = prod.find
      .all('kubernetes:core/v1:ConfigMap')
      .filter((m) => !m.name.endsWith('-otel-collector'))
    expect(maps).toHaveLength(Object.keys(dashboards).length)
    for (const [file, dashboard] of Object.entries(dashboards)) {
      const map = maps.find((m) => m.inputs.data[`${file}.json`] !== undefined)
      expect(map?.inputs.metadata).toMatchObject({
        namespace: 'monitoring',
        labels: { grafana_dashboard: '1' },
      })
      // The same JSON `dashboards/` writes (its builders' objects carry helper methods).
      expect(map?.inputs.data[`${file}.json`]).toBe(JSON.stringify(dashboard))
    }
  })

  it("makes dashboards/'s alert rules a PrometheusRule that Prometheus selects", () => {
    const rule = prod.find.one('kubernetes:monitoring.coreos.com/v1:PrometheusRule')
    expect(rule.inputs.metadata).toMatchObject({
      namespace: 'monitoring',
      labels: { release: 'kube-prometheus-stack' },
    })
    expect(rule.inputs.spec).toEqual(buildRuleGroups())
  })

  it('runs the DCGM exporter on GPU nodes only, scraped by Prometheus', () => {
    expect(prod.find.one(RELEASE, '-dcgm-exporter').props.values).toEqual({
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      serviceMonitor: { enabled: true, additionalLabels: { release: 'kube-prometheus-stack' } },
    })
  })

  it("generates Grafana's admin password into a Secret", () => {
    expect(stack(prod).props.values.grafana.admin.existingSecret).toBe('grafana-admin')
    const secret = prod.find.one('kubernetes:core/v1:Secret', '-grafana-admin')
    expect(isSecret(secret.inputs.stringData)).toBe(true)
  })
})

const DEPLOYMENT = 'kubernetes:apps/v1:Deployment'
/** The services' Deployments: the tracing collector's is its own (platform/tracing). */
const services = (run: PlatformRun) =>
  run.find.all(DEPLOYMENT).filter((d) => !d.name.endsWith('-otel-collector'))
/** A container's env less the OTEL_* variables every service gets (platform/tracing tests them). */
const ownEnv = (container: { env?: { name: string }[] }) =>
  container.env?.filter((e) => !e.name.startsWith('OTEL_'))
const spec = (d: MockedResource) => d.props.spec.template.spec
const main = (d: MockedResource) => spec(d).containers[0]
const everyContainer = (d: MockedResource) => [...spec(d).initContainers, ...spec(d).containers]
const rolePolicy = (run: PlatformRun, workload: string) =>
  policyDocument(run.find.one('aws:iam/rolePolicy:RolePolicy', `-${workload}-policy`).inputs.policy)
const artifacts = (run: PlatformRun) => run.find.one('aws:s3/bucket:Bucket', '-artifacts').props
/** The value after a flag, if the flag is there. */
const flag = (args: string[], name: string) =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined

const REGISTRY_URL = 'http://registry.infera.svc.cluster.local:8083'
/** The inference groups' Services. */
const SERVICE = {
  tabular: 'http://inference-tabular.infera.svc.cluster.local:8080',
  transformers: 'http://inference-transformers.infera.svc.cluster.local:8080',
}
/** A stack's inference Deployments, one per model group (never none: a loop over them checks). */
const inferenceGroups = (run: PlatformRun) => {
  const deployments = run.find
    .all(DEPLOYMENT)
    .filter((d) => d.inputs.metadata.name.startsWith('inference-'))
  expect(deployments).not.toHaveLength(0)
  return deployments
}
/** The gateway's config as the gateway reads it. */
const gatewayConfig = (run: PlatformRun) =>
  parseGatewayConfig(
    run.find.one('kubernetes:core/v1:Secret', '-gateway-config').props.stringData['gateway.json'],
    'gateway.json',
  )
/** Each service connects as its own PostgreSQL role, whose URL its own Secret holds. */
const databaseUrl = (role: string) => ({
  name: 'DATABASE_URL',
  valueFrom: { secretKeyRef: { name: `database-${role}`, key: 'url' } },
})

describe('Services: every workload', () => {
  it('runs in the infera namespace, which enforces the restricted Pod Security Standard', () => {
    const namespace = prod.find.one('kubernetes:core/v1:Namespace', '-infera')
    expect(namespace.inputs.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    )
    expect(
      services(prod)
        .map((d) => d.inputs.metadata.name)
        .sort(),
    ).toEqual(['drift', 'gateway', 'inference-tabular', 'inference-transformers', 'registry'])
    for (const d of services(prod)) expect(d.inputs.metadata.namespace).toBe('infera')
  })

  it('runs non-root with a read-only root filesystem, requests and limits, pinned images', () => {
    for (const d of [...services(dev), ...services(prod)]) {
      expect(spec(d).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
      expect(spec(d).automountServiceAccountToken).toBe(false)
      for (const container of everyContainer(d)) {
        expect(container.securityContext).toEqual({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        })
        expect(Object.keys(container.resources.requests)).toEqual(['cpu', 'memory'])
        expect(container.resources.limits).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        })
        expect(container.image).toMatch(/:[\w][\w.-]*$/)
        expect(container.image).not.toMatch(/:latest$/)
      }
    }
  })

  it('has a PodDisruptionBudget and a ServiceMonitor Prometheus selects', () => {
    for (const d of services(prod)) {
      const workload = prod.find.all('infera:platform:Workload').find((w) => w.urn === d.parent)
      const siblings = prod.find.children(workload as MockedResource)
      const pdb = siblings.find((r) => r.type === 'kubernetes:policy/v1:PodDisruptionBudget')
      expect(pdb?.inputs.spec.maxUnavailable).toBe(1)
      const monitor = siblings.find(
        (r) => r.type === 'kubernetes:monitoring.coreos.com/v1:ServiceMonitor',
      )
      expect(monitor?.inputs.metadata.labels.release).toBe('kube-prometheus-stack')
      expect(monitor?.inputs.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' })
    }
  })
})

describe('Services: inference', () => {
  it('serves each model group from its own Deployment with an HPA from the stack config', () => {
    expect(dev.find.all(DEPLOYMENT, '-inference-tabular')).toHaveLength(1)
    expect(dev.find.all(DEPLOYMENT, '-inference-transformers')).toHaveLength(0)
    const hpa = prod.find.one(
      'kubernetes:autoscaling/v2:HorizontalPodAutoscaler',
      '-inference-tabular',
    )
    expect(hpa.inputs.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'inference-tabular' },
      minReplicas: 3,
      maxReplicas: 12,
      metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 70 } } }],
    })
  })

  it('probes the Open Inference Protocol health endpoints', () => {
    const container = main(prod.find.one(DEPLOYMENT, '-inference-tabular'))
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' })
    expect(container.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 'http' })
    expect(container.args).toEqual(
      expect.arrayContaining(['--capture-url', 'http://drift.infera.svc.cluster.local:8081']),
    )
  })

  it('puts CPU groups on system nodes and GPU groups on GPU nodes, with GPUs and the toleration', () => {
    const cpu = prod.find.one(DEPLOYMENT, '-inference-tabular')
    expect(spec(cpu).nodeSelector).toEqual({ 'infera.dev/pool': 'system' })
    expect(spec(cpu).tolerations).toBeUndefined()
    expect(main(cpu).resources.limits['nvidia.com/gpu']).toBeUndefined()
    expect(main(cpu).image).toMatch(/\/infera\/inference:0\.1\.0$/)

    const gpu = prod.find.one(DEPLOYMENT, '-inference-transformers')
    expect(spec(gpu).nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' })
    expect(spec(gpu).tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ])
    expect(main(gpu).resources.limits).toEqual({ cpu: '3', memory: '12Gi', 'nvidia.com/gpu': '1' })
    expect(main(gpu).image).toMatch(/\/infera\/inference:0\.1\.0-cuda12$/)
  })

  it('gives each group an IRSA role of its own that may write captures, and read no model', () => {
    const captures = prod.find.one('aws:s3/bucket:Bucket', '-captures').props.arn
    for (const group of ['tabular', 'transformers']) {
      const name = `inference-${group}`
      const account = prod.find.one('kubernetes:core/v1:ServiceAccount', `-${name}`)
      const role = prod.find.one('aws:iam/role:Role', `-${name}`)
      expect(account.inputs.metadata.annotations).toEqual({
        'eks.amazonaws.com/role-arn': role.props.arn,
      })
      expect(
        policyDocument(role.inputs.assumeRolePolicy).Statement[0]?.Condition?.StringEquals,
      ).toMatchObject({
        'oidc.eks.us-east-1.amazonaws.com/id/MOCK:sub': `system:serviceaccount:infera:${name}`,
      })
      // Models come over HTTP from the registry: the artifacts bucket is none of its business.
      expect(rolePolicy(prod, name).Statement).toEqual([
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: captures },
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
          Resource: `${captures}/*`,
        },
      ])
    }
  })
})

describe('Services: inference following the registry', () => {
  /** Each stack's inference Deployments, by group, with the models they follow. */
  const following = (run: PlatformRun) =>
    Object.fromEntries(
      inferenceGroups(run).map((d) => {
        const args: string[] = main(d).args
        expect(flag(args, '--registry')).toBe(REGISTRY_URL)
        return [d.inputs.metadata.name, flag(args, '--registry-models')]
      }),
    )

  it("has every group follow the registry for its own models, and for no other group's", () => {
    expect(following(dev)).toEqual({ 'inference-tabular': 'penguins,mpg,weather' })
    expect(following(prod)).toEqual({
      'inference-tabular': 'penguins,mpg,weather',
      'inference-transformers': 'sentiment',
    })
  })

  it('writes the followed versions into an emptyDir the server loads them from', () => {
    for (const d of inferenceGroups(prod)) {
      expect(flag(main(d).args, '--models')).toBe('/models')
      expect(main(d).volumeMounts).toContainEqual({ name: 'models', mountPath: '/models' })
      expect(spec(d).volumes).toContainEqual({
        name: 'models',
        emptyDir: { sizeLimit: expect.any(String) },
      })
    }
  })

  it('syncs no model from S3: its one sidecar uploads captures to the capture bucket', () => {
    for (const run of [dev, prod]) {
      const captures = run.find.one('aws:s3/bucket:Bucket', '-captures').props.bucket
      for (const d of inferenceGroups(run)) {
        expect(spec(d).initContainers.map((c: { name: string }) => c.name)).toEqual([
          'capture-upload',
        ])
        const upload = spec(d).initContainers[0]
        expect(upload.env).toContainEqual({ name: 'CAPTURE_BUCKET', value: captures })
        expect(upload.volumeMounts).toContainEqual({ name: 'capture', mountPath: '/capture' })
        expect(upload.volumeMounts.map((m: { name: string }) => m.name)).not.toContain('models')
        expect(JSON.stringify(spec(d))).not.toContain(artifacts(run).bucket)
      }
    }
  })

  it("sends every group's captures to drift, and to the directory the sidecar uploads", () => {
    for (const d of inferenceGroups(prod)) {
      const args: string[] = main(d).args
      expect(flag(args, '--capture-url')).toBe('http://drift.infera.svc.cluster.local:8081')
      expect(flag(args, '--capture-dir')).toBe('/capture')
      expect(flag(args, '--capture-sample')).toBe('0.1')
      expect(main(d).volumeMounts).toContainEqual({ name: 'capture', mountPath: '/capture' })
    }
  })

  it('starts every group after the registry, whose first sync it needs, GPU groups after GPU nodes', () => {
    const registry = prod.find.one('infera:platform:Workload', '-registry').urn
    const gpuNodes = prod.find
      .all('eks:index:ManagedNodeGroup')
      .filter((g) => g.name.includes('-gpu-'))
      .map((g) => g.urn)
    const tabular = prod.find.one(DEPLOYMENT, '-inference-tabular').dependsOn
    const transformers = prod.find.one(DEPLOYMENT, '-inference-transformers').dependsOn
    expect(gpuNodes).toHaveLength(2)
    expect(tabular).toContain(registry)
    for (const group of gpuNodes) expect(tabular).not.toContain(group)
    expect(transformers).toEqual(expect.arrayContaining([registry, ...gpuNodes]))
  })
})

describe('Services: the model registry', () => {
  it('is one replica, replaced by Recreate, on 8083 with its health probes', () => {
    const registry = prod.find.one(DEPLOYMENT, '-registry')
    expect(registry.inputs.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } })
    expect(main(registry).image).toMatch(/\/infera\/registry:0\.1\.0$/)
    expect(main(registry).ports).toEqual([{ name: 'http', containerPort: 8083 }])
    expect(main(registry).livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' })
    expect(main(registry).readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' })
    expect(prod.find.one('kubernetes:core/v1:Service', '-registry').inputs.spec).toMatchObject({
      type: 'ClusterIP',
      ports: [{ port: 8083, targetPort: 'http' }],
    })
    expect(
      prod.find.all('kubernetes:autoscaling/v2:HorizontalPodAutoscaler', '-registry'),
    ).toHaveLength(0)
  })

  it('keeps versions in the database and artifacts under registry/ in the artifacts bucket', () => {
    const env = ownEnv(main(prod.find.one(DEPLOYMENT, '-registry')))
    expect(env).toEqual([
      databaseUrl('registry'),
      { name: 'INFERA_ARTIFACTS_S3', value: `s3://${artifacts(prod).bucket}/registry` },
      { name: 'AWS_REGION', value: 'us-east-1' },
    ])
  })

  it('reads and writes that prefix only, through its own IRSA role', () => {
    const account = prod.find.one('kubernetes:core/v1:ServiceAccount', '-registry')
    const role = prod.find.one('aws:iam/role:Role', '-registry')
    expect(account.inputs.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': role.props.arn,
    })
    expect(
      policyDocument(role.inputs.assumeRolePolicy).Statement[0]?.Condition?.StringEquals,
    ).toMatchObject({
      'oidc.eks.us-east-1.amazonaws.com/id/MOCK:sub': 'system:serviceaccount:infera:registry',
    })
    const { arn } = artifacts(prod)
    expect(rolePolicy(prod, 'registry').Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: arn,
        Condition: { StringLike: { 's3:prefix': 'registry/*' } },
      },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${arn}/registry/*` },
    ])
  })

  it("judges canaries by the stack's policy, the registry's defaults where it sets none", () => {
    const args = (run: PlatformRun): string[] => main(run.find.one(DEPLOYMENT, '-registry')).args
    expect(args(prod).slice(0, 3)).toEqual(['serve', '--port', '8083'])
    expect([
      flag(args(prod), '--canary-seconds'),
      flag(args(prod), '--canary-min-requests'),
    ]).toEqual(['900', '1000'])
    expect([flag(args(dev), '--canary-seconds'), flag(args(dev), '--canary-min-requests')]).toEqual(
      ['300', '100'],
    )
  })

  it("reads every gateway replica's counters from Prometheus, which scrapes them with its key", async () => {
    const args: string[] = main(prod.find.one(DEPLOYMENT, '-registry')).args
    const prometheus = 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090'
    expect(flag(args, '--canary-prometheus')).toBe(prometheus)
    expect(args).not.toContain('--canary-gateway')
    // The controller's reader takes that URL, and queries the API there.
    const asked: URL[] = []
    const fetch = (async (url: string) => {
      asked.push(new URL(url))
      return Response.json({ status: 'success', data: { resultType: 'vector', result: [] } })
    }) as typeof globalThis.fetch
    expect(await new PrometheusMetricsSource(prometheus, { fetch }).read('penguins')).toEqual({})
    expect(asked.map((url) => `${url.origin}${url.pathname}`)).toEqual([
      `${prometheus}/api/v1/query`,
    ])
  })
})

describe('Services: drift', () => {
  it('is one replica with the database URL from a Secret', () => {
    const drift = prod.find.one(DEPLOYMENT, '-drift')
    expect(drift.inputs.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } })
    expect(main(drift).env).toContainEqual(databaseUrl('drift'))
    const secret = prod.find.one('kubernetes:core/v1:Secret', '-database-drift')
    expect(isSecret(secret.inputs.stringData)).toBe(true)
    expect(secret.props.stringData.url).toMatch(/^postgres:\/\/drift:.+\?sslmode=require$/)
    expect(main(drift).readinessProbe.httpGet.path).toBe('/health/ready')
  })

  it("takes each version's reference from the registry, and no model from S3", () => {
    for (const run of [dev, prod]) {
      const drift = run.find.one(DEPLOYMENT, '-drift')
      const args: string[] = main(drift).args
      expect(flag(args, '--registry')).toBe(REGISTRY_URL)
      expect(args).not.toContain('--models')
      expect(spec(drift).initContainers).toEqual([])
      // Of the artifacts bucket, only SageMaker's output (to register a retrained model).
      const inArtifacts = rolePolicy(run, 'drift')
        .Statement.flatMap((s) => [s.Resource].flat())
        .filter((resource) => resource.startsWith(artifacts(run).arn))
      expect(inArtifacts).toEqual(run === prod ? [`${artifacts(run).arn}/training/*`] : [])
    }
  })

  it('sends the candidates SageMaker trains through the gate into a canary at the configured weight', () => {
    const args: string[] = main(prod.find.one(DEPLOYMENT, '-drift')).args
    expect(flag(args, '--canary-weight')).toBe('10')
    // The trained model is read from the job's output to be registered.
    expect(rolePolicy(prod, 'drift').Statement).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `${artifacts(prod).arn}/training/*`,
    })
  })

  it('retrains on SageMaker in prod, with the execution role it may pass and nothing else', () => {
    const args: string[] = main(prod.find.one(DEPLOYMENT, '-drift')).args
    const sagemakerRole = prod.find.one('aws:iam/role:Role', '-sagemaker').props.arn
    expect(flag(args, '--trainer')).toBe('sagemaker')
    expect(flag(args, '--sagemaker-role-arn')).toBe(sagemakerRole)
    expect(flag(args, '--sagemaker-image')).toMatch(/\/infera\/trainer:0\.1\.0$/)
    expect(flag(args, '--capture-s3-uri')).toBe(
      `s3://${prod.find.one('aws:s3/bucket:Bucket', '-captures').props.bucket}`,
    )
    const pass = rolePolicy(prod, 'drift').Statement.find((s) => s.Action === 'iam:PassRole')
    expect(pass).toMatchObject({
      Resource: sagemakerRole,
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    })
  })

  it('does not retrain in dev, and gets no SageMaker permissions there', () => {
    const args: string[] = main(dev.find.one(DEPLOYMENT, '-drift')).args
    expect(flag(args, '--trainer')).toBe('none')
    expect(args).not.toContain('--sagemaker-role-arn')
    expect(args).not.toContain('--canary-weight')
    expect(JSON.stringify(rolePolicy(dev, 'drift'))).not.toContain('sagemaker')
  })
})

describe('Services: gateway', () => {
  it('is exposed by a Network Load Balancer, and its URL is an output', async () => {
    const service = prod.find.one('kubernetes:core/v1:Service', '-gateway')
    expect(service.inputs.spec).toMatchObject({
      type: 'LoadBalancer',
      // TLS with the stack's certificate (platform/services/index.test.ts checks the listener).
      ports: [{ port: 443, targetPort: 'http' }],
    })
    expect(
      service.inputs.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-type'],
    ).toBe('nlb')
    expect(await resolve(prod.outputs.gatewayUrl)).toBe(
      'https://infera-prod-gateway.elb.us-east-1.amazonaws.com',
    )
  })

  it("has each group's models follow the registry on that group's Service, and no other routes", () => {
    expect(gatewayConfig(prod).registry).toEqual({
      url: REGISTRY_URL,
      groups: [
        { models: ['penguins', 'mpg', 'weather'], targets: [SERVICE.tabular] },
        { models: ['sentiment'], targets: [SERVICE.transformers] },
      ],
      poll_seconds: 5,
      timeout_ms: 5000,
    })
    expect(gatewayConfig(prod).routes).toEqual([])
    expect(gatewayConfig(dev).registry?.groups).toEqual([
      { models: ['penguins', 'mpg', 'weather'], targets: [SERVICE.tabular] },
    ])
    const config = gatewayConfig(prod)
    expect(config.auth.jwt?.jwks_url).toBe('https://auth.example.com/.well-known/jwks.json')
    // A JWT without `exp` would never expire: refused.
    expect(config.auth.jwt?.require_exp).toBe(true)
    expect(gatewayConfig(dev).auth.jwt).toBeUndefined()
    expect(config.auth.open_paths).toEqual(['/v2/health/live', '/v2/health/ready'])
  })

  it('routes a canary on its group, checked ready there, and a model in no group nowhere', async () => {
    const asked: string[] = []
    const answer = (status: number, body: unknown) => ({
      status,
      headers: new Headers(),
      body: new TextEncoder().encode(JSON.stringify(body)),
    })
    const app = createGatewayApp(gatewayConfig(prod), {
      log: () => {},
      send: async (url) => {
        asked.push(url)
        if (url === `${REGISTRY_URL}/v1/models`) {
          return answer(200, {
            models: [
              { name: 'penguins', aliases: { production: { version: 3 } } },
              {
                name: 'sentiment',
                aliases: { production: { version: 1 }, canary: { version: 2, weight: 10 } },
              },
              { name: 'unlisted', aliases: { production: { version: 1 } } },
            ],
          })
        }
        return answer(200, { ready: true })
      },
    })
    expect(await app.syncRegistry()).toEqual({ ok: true, changed: true, pending: [] })
    const routes = Object.fromEntries(
      app.getRoutes().map((r) => [r.model, r.variants.map((v) => [v.name, v.version, v.targets])]),
    )
    expect(routes).toEqual({
      penguins: [['production', '3', [SERVICE.tabular]]],
      sentiment: [
        ['production', '1', [SERVICE.transformers]],
        ['canary', '2', [SERVICE.transformers]],
      ],
    })
    expect(asked.slice(1).sort()).toEqual([
      `${SERVICE.tabular}/v2/models/penguins/versions/3/ready`,
      `${SERVICE.transformers}/v2/models/sentiment/versions/1/ready`,
      `${SERVICE.transformers}/v2/models/sentiment/versions/2/ready`,
    ])
  })

  it('closes /metrics to the internet and lets Prometheus scrape it with a key of its own', async () => {
    const config = gatewayConfig(prod)
    const key = prod.find.one('kubernetes:core/v1:Secret', '-gateway-metrics-key').props.stringData
      .token
    expect(config.metrics).toEqual({ sha256: [createHash('sha256').update(key).digest('hex')] })
    // The gateway built from that config: the scrape token reads /metrics, nothing else does.
    const app = createGatewayApp(config, { log: () => {} })
    const scrape = async (headers: Record<string, string>) =>
      (await app.request('/metrics', { headers })).status
    expect(await scrape({ authorization: `Bearer ${key}` })).toBe(200)
    expect(await scrape({})).toBe(401)
    expect(await scrape({ authorization: 'Bearer not-the-key' })).toBe(401)
    const monitor = prod.find.one('kubernetes:monitoring.coreos.com/v1:ServiceMonitor', '-gateway')
    expect(monitor.inputs.spec.endpoints[0].authorization).toEqual({
      type: 'Bearer',
      credentials: { name: 'gateway-metrics-key', key: 'token' },
    })
  })
})

describe('Services: credentials', () => {
  const TOKEN_SECRET = 'kubernetes:core/v1:Secret'
  const token = (run: PlatformRun, holder: string) =>
    run.find.one(TOKEN_SECRET, `-token-${holder}`).props.stringData.token as string
  /** The credentials file a service reads, as its Secret holds it, checked by the shared schema. */
  const credentialsOf = (run: PlatformRun, service: string) =>
    parseCredentials(
      JSON.parse(
        run.find.one(TOKEN_SECRET, `-${service}-credentials`).props.stringData['credentials.json'],
      ),
      `${service}-credentials`,
    )
  const MOUNT = { name: 'credentials', mountPath: '/etc/infera/credentials', readOnly: true }
  const fromSecret = (name: string, secret: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key: 'token' } },
  })

  it('listens on every address of the pod: the services default to loopback', () => {
    for (const run of [dev, prod])
      for (const d of services(run)) expect(flag(main(d).args, '--host')).toBe('0.0.0.0')
  })

  it('generates one token per holder, each in a Secret of its own and a Pulumi secret', () => {
    const holders = ['drift-retrainer', 'inference', 'labeller', 'operator']
    for (const holder of holders) {
      const secret = prod.find.one(TOKEN_SECRET, `-token-${holder}`)
      expect(secret.inputs.metadata).toMatchObject({ name: `token-${holder}`, namespace: 'infera' })
      expect(isSecret(secret.inputs.stringData)).toBe(true)
      expect(
        prod.find.one('random:index/randomPassword:RandomPassword', `-token-${holder}`).inputs,
      ).toMatchObject({ length: 48, special: false })
    }
    expect(new Set(holders.map((holder) => token(prod, holder))).size).toBe(holders.length)
  })

  it('lets only the retrainer and the operator write to the registry, as themselves', async () => {
    const registry = prod.find.one(DEPLOYMENT, '-registry')
    expect(flag(main(registry).args, '--credentials')).toBe(
      '/etc/infera/credentials/credentials.json',
    )
    expect(main(registry).volumeMounts).toContainEqual(MOUNT)
    expect(spec(registry).volumes).toContainEqual({
      name: 'credentials',
      secret: { secretName: 'registry-credentials' },
    })
    const secret = prod.find.one(TOKEN_SECRET, '-registry-credentials')
    expect(isSecret(secret.inputs.stringData)).toBe(true)
    const verifier = new CredentialVerifier(credentialsOf(prod, 'registry'))
    expect(verifier.size).toBe(2)
    for (const holder of ['drift-retrainer', 'operator']) {
      expect(
        await verifier.verify(`Bearer ${token(prod, holder)}`, 'registry:write'),
      ).toMatchObject({ ok: true, principal: { name: holder } })
    }
    for (const holder of ['inference', 'labeller'])
      expect(
        await verifier.verify(`Bearer ${token(prod, holder)}`, 'registry:write'),
      ).toMatchObject({ ok: false, status: 401 })
  })

  it("lets drift ingest only the model servers' captures and labels only from the labeller", async () => {
    const drift = prod.find.one(DEPLOYMENT, '-drift')
    expect(flag(main(drift).args, '--credentials')).toBe('/etc/infera/credentials/credentials.json')
    expect(main(drift).volumeMounts).toContainEqual(MOUNT)
    const verifier = new CredentialVerifier(credentialsOf(prod, 'drift'))
    expect(
      await verifier.verify(`Bearer ${token(prod, 'inference')}`, 'drift:ingest'),
    ).toMatchObject({ ok: true, principal: { name: 'inference' } })
    expect(
      await verifier.verify(`Bearer ${token(prod, 'labeller')}`, 'drift:labels'),
    ).toMatchObject({ ok: true, principal: { name: 'labeller' } })
    expect(
      await verifier.verify(`Bearer ${token(prod, 'inference')}`, 'drift:labels'),
    ).toMatchObject({ ok: false, status: 403 })
    expect(
      await verifier.verify(`Bearer ${token(prod, 'operator')}`, 'drift:ingest'),
    ).toMatchObject({ ok: false, status: 401 })
  })

  it('hands each client its token from a Secret: drift the registry, inference the drift service', () => {
    for (const run of [dev, prod]) {
      expect(main(run.find.one(DEPLOYMENT, '-drift')).env).toContainEqual(
        fromSecret('INFERA_REGISTRY_TOKEN', 'token-drift-retrainer'),
      )
      for (const d of inferenceGroups(run)) {
        expect(ownEnv(main(d))).toEqual([fromSecret('INFERA_DRIFT_TOKEN', 'token-inference')])
        // No model control: the registry alone says what serves.
        expect(main(d).args).not.toContain('--model-control')
        expect(main(d).args).not.toContain('--credentials')
      }
      expect(ownEnv(main(run.find.one(DEPLOYMENT, '-gateway')))).toEqual([])
    }
  })

  it('rolls the pods that hold or check a token when it changes, and keeps their specs visible', () => {
    for (const name of ['-registry', '-drift', '-inference-tabular']) {
      const d = prod.find.one(DEPLOYMENT, name)
      expect(isSecret(d.inputs.spec)).toBe(false)
      expect(d.props.spec.template.metadata.annotations['infera.dev/credentials-sha256']).toMatch(
        /^[0-9a-f]{64}$/,
      )
    }
  })

  it('puts no generated token, key or password in plain text into any resource', () => {
    for (const run of [dev, prod]) {
      const generated = run.find
        .all('random:index/randomPassword:RandomPassword')
        .map((r) => r.props.result as string)
      expect(generated.length).toBeGreaterThanOrEqual(7)
      for (const r of run.resources) {
        const plain = JSON.stringify(withoutSecrets(r.inputs))
        for (const value of generated) expect(plain, `${r.type} ${r.name}`).not.toContain(value)
      }
    }
  })
})

/** A resource's inputs with every Pulumi secret left out: what a preview or the state shows. */
function withoutSecrets(value: unknown): unknown {
  if (isSecret(value)) return undefined
  if (Array.isArray(value)) return value.map(withoutSecrets)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]))
  return value
}
