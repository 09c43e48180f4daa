import { createHash } from 'node:crypto'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import * as random from '@pulumi/random'
import { SYSTEM_NODE_LABEL } from '../cluster/index.ts'
import { type Context, NAMESPACE, TMP_MOUNT, workload } from './context.ts'
import { buildGatewayConfig, type GatewayConfigArgs } from './gateway-config.ts'
import { resources, scratch } from './pod.ts'

const GATEWAY_PORT = 8080
const GATEWAY_CPU = '500m'
/** TLS 1.3 and 1.2 with forward secrecy only: the NLB's listener policy. */
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06'

/**
 * The gateway's `--workers`: one Node process per whole core of its CPU limit (a Kubernetes
 * quantity, '500m' or '2'), rounded up, at least one; a process uses one core at most.
 */
export function gatewayWorkers(cpuLimit: string): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(cpuLimit)
  if (!match) throw new Error(`not a CPU quantity: '${cpuLimit}'`)
  const cores = Number(match[1]) / (match[2] ? 1000 : 1)
  return Math.max(1, Math.ceil(cores))
}

/**
 * The gateway behind a Network Load Balancer (TLS on 443 with an ACM certificate, else 80), its
 * config generated from the stack's auth and the model groups. Returns its URL.
 */
export function gateway(
  ctx: Context,
  registry: GatewayConfigArgs['registry'],
): pulumi.Output<string> {
  const { config } = ctx.args
  // Prometheus scrapes /metrics with its own key, so the endpoint stays closed to the internet.
  const metricsKey = new random.RandomPassword(
    `${ctx.name}-gateway-metrics-key`,
    { length: 48, special: false },
    { parent: ctx.opts.parent },
  )
  const metricsSecret = new k8s.core.v1.Secret(
    `${ctx.name}-gateway-metrics-key`,
    {
      metadata: { name: 'gateway-metrics-key', namespace: NAMESPACE },
      stringData: { token: metricsKey.result },
    },
    ctx.opts,
  )
  const file = metricsKey.result.apply((key) =>
    JSON.stringify(
      buildGatewayConfig({
        gateway: config.gateway,
        registry,
        metricsKeySha256: sha256(key),
      }),
    ),
  )
  const configSecret = new k8s.core.v1.Secret(
    `${ctx.name}-gateway-config`,
    {
      metadata: { name: 'gateway-config', namespace: NAMESPACE },
      stringData: { 'gateway.json': file },
    },
    ctx.opts,
  )
  const tls = config.gateway.certificateArn
  const gatewayWorkload = workload(ctx, 'gateway', {
    component: 'gateway',
    port: GATEWAY_PORT,
    probes: { live: '/v2/health/live', ready: '/v2/health/ready' },
    // The gateway reads its config once: a changed config rolls the pods.
    podAnnotations: { 'infera.dev/config-sha256': file.apply(sha256) },
    container: {
      name: 'gateway',
      image: ctx.image('gateway', config.images.gateway),
      args: [
        ...['--config', '/etc/infera/gateway.json', '--port', String(GATEWAY_PORT)],
        ...['--workers', String(gatewayWorkers(GATEWAY_CPU))],
      ],
      resources: resources(GATEWAY_CPU, '512Mi'),
      volumeMounts: [{ name: 'config', mountPath: '/etc/infera', readOnly: true }, TMP_MOUNT],
    },
    volumes: [
      { name: 'config', secret: { secretName: configSecret.metadata.name } },
      scratch('tmp', '64Mi'),
    ],
    nodeSelector: SYSTEM_NODE_LABEL,
    scaling: { ...config.gateway.replicas, targetCpuUtilization: 70 },
    service: {
      type: 'LoadBalancer',
      port: tls ? 443 : 80,
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
        'service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled': 'true',
        ...(config.gateway.internal
          ? { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }
          : {}),
        ...(tls
          ? {
              // The NLB terminates TLS on 443 and forwards plain TCP to the pods' HTTP port.
              'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': tls,
              'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
              'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
              'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': TLS_POLICY,
            }
          : {}),
      },
    },
    metricsToken: { secretName: metricsSecret.metadata.name, key: 'token' },
  })
  // The NLB's DNS name, once AWS has made it (the Service's await waits for it).
  const host = gatewayWorkload.service.status.apply(
    (status) => status.loadBalancer.ingress?.[0]?.hostname,
  )
  return pulumi.interpolate`${tls ? 'https' : 'http'}://${host}`
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
