import type { ResourceValidationPolicy } from '@pulumi/policy'
import { environmentConfig, environmentOf } from '../lib/environment.ts'
import { forTypes } from '../lib/resources.ts'

const ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-'

/** Whether a LoadBalancer Service's annotations make its load balancer internal. */
const internal = (annotations: Record<string, string>) =>
  annotations[`${ANNOTATION}internal`] === 'true' ||
  annotations[`${ANNOTATION}scheme`] === 'internal'

/**
 * Outside dev, an internet-facing load balancer serves TLS only: the Service names an ACM
 * certificate, and every port it opens is one of its TLS ports (all of them when it lists none).
 */
export const loadBalancerTls: ResourceValidationPolicy = {
  name: 'load-balancer-tls',
  description:
    'Internet-facing LoadBalancer Services outside dev must terminate TLS on every port.',
  enforcementLevel: 'mandatory',
  configSchema: environmentConfig,
  validateResource: forTypes(['kubernetes:core/v1:Service'], (props, args, report) => {
    if (props.spec?.type !== 'LoadBalancer' || environmentOf(args) === 'dev') return
    const annotations: Record<string, string> = props.metadata?.annotations ?? {}
    if (internal(annotations)) return
    if (!annotations[`${ANNOTATION}ssl-cert`]) {
      report(`an internet-facing load balancer needs a certificate: annotate ${ANNOTATION}ssl-cert`)
      return
    }
    const tlsPorts = annotations[`${ANNOTATION}ssl-ports`]?.split(',').map((p) => p.trim())
    const ports: { name?: string; port?: number }[] = props.spec?.ports ?? []
    for (const { name, port } of ports)
      if (
        tlsPorts &&
        !tlsPorts.includes('*') &&
        !tlsPorts.includes(String(port)) &&
        !(name && tlsPorts.includes(name))
      )
        report(
          `port ${port} of an internet-facing load balancer serves plain text: list it in ${ANNOTATION}ssl-ports`,
        )
  }),
}
