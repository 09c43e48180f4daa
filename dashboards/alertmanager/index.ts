// The Alertmanager configuration: notifications routed by severity to the receivers configured,
// ticket alerts held back while a page about the same service and model is firing, and the
// watchdog sent on to an external dead-man's switch.
import { z } from 'zod'
import { WATCHDOG } from '../rules/platform.ts'

/** Where notifications go; each receiver is optional. */
export const AlertReceivers = z.object({
  pagerduty: z.object({ routingKey: z.string().min(1) }).optional(),
  slack: z.object({ webhookUrl: z.url(), channel: z.string().min(1) }).optional(),
  email: z
    .object({
      to: z.string().min(1),
      from: z.string().min(1),
      /** host:port of the SMTP server. */
      smarthost: z.string().regex(/^[^:\s]+:\d+$/, 'host:port'),
    })
    .optional(),
  /** A dead-man's switch (Healthchecks.io, Dead Man's Snitch, …) that the watchdog pings. */
  heartbeat: z.object({ webhookUrl: z.url() }).optional(),
})
export type AlertReceivers = z.infer<typeof AlertReceivers>

type Channel = 'pagerduty' | 'slack' | 'email'

/** Alerts go here when nothing is configured for them: Alertmanager needs a receiver. */
export const BLACKHOLE = 'blackhole'

// Per severity: every preferred channel that is configured, else the first fallback that is.
const ROUTING: Record<
  'page' | 'ticket' | 'default',
  { preferred: Channel[]; fallback: Channel[] }
> = {
  // PagerDuty wakes someone; Slack shows the team what is going on.
  page: { preferred: ['pagerduty', 'slack'], fallback: ['email'] },
  ticket: { preferred: ['slack'], fallback: ['email'] },
  // info, and anything without a known severity.
  default: { preferred: ['email'], fallback: ['slack'] },
}

const NOTIFICATION = {
  title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.service }})',
  text: '{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}',
}

function receiverConfig(channel: Channel, receivers: AlertReceivers) {
  const { pagerduty, slack, email } = receivers
  switch (channel) {
    case 'pagerduty':
      return (
        pagerduty && {
          pagerduty_configs: [
            {
              routing_key: pagerduty.routingKey,
              description: NOTIFICATION.title,
              send_resolved: true,
            },
          ],
        }
      )
    case 'slack':
      return (
        slack && {
          slack_configs: [
            {
              api_url: slack.webhookUrl,
              channel: slack.channel,
              ...NOTIFICATION,
              send_resolved: true,
            },
          ],
        }
      )
    case 'email':
      return (
        email && {
          email_configs: [
            {
              to: email.to,
              from: email.from,
              smarthost: email.smarthost,
              headers: { Subject: NOTIFICATION.title },
              send_resolved: true,
            },
          ],
        }
      )
  }
}

/** The Alertmanager configuration (alertmanager.yml) for these receivers. */
export function buildAlertmanagerConfig(receivers: AlertReceivers) {
  const valid = AlertReceivers.parse(receivers)
  const channels = (['pagerduty', 'slack', 'email'] as const).flatMap((name) => {
    const config = receiverConfig(name, valid)
    return config ? [{ name, ...config }] : []
  })
  const configured = new Set<string>(channels.map((c) => c.name))
  const targets = (severity: keyof typeof ROUTING) => {
    const { preferred, fallback } = ROUTING[severity]
    const chosen = preferred.filter((c) => configured.has(c))
    if (chosen.length > 0) return chosen
    const second = fallback.find((c) => configured.has(c))
    return second ? [second] : [BLACKHOLE]
  }
  // One route per receiver of a severity, all but the last letting the alert on to the next.
  const severityRoutes = (severity: 'page' | 'ticket', repeat: string) =>
    targets(severity).map((receiver, i, all) => ({
      receiver,
      matchers: [`severity="${severity}"`],
      repeat_interval: repeat,
      ...(i < all.length - 1 && { continue: true }),
    }))
  return {
    route: {
      receiver: targets('default')[0],
      group_by: ['alertname', 'service', 'slo', 'model'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '12h',
      routes: [
        {
          receiver: valid.heartbeat ? 'heartbeat' : BLACKHOLE,
          matchers: [`alertname="${WATCHDOG}"`],
          // A heartbeat: as soon as it fires, then every minute for the switch to hear.
          group_wait: '0s',
          group_interval: '1m',
          repeat_interval: '1m',
        },
        ...severityRoutes('page', '1h'),
        ...severityRoutes('ticket', '12h'),
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="page"'],
        target_matchers: ['severity="ticket"'],
        // A label missing on both sides counts as equal: a page without a model label holds back
        // the service's tickets without one.
        equal: ['service', 'model'],
      },
    ],
    receivers: [
      { name: BLACKHOLE },
      ...channels,
      ...(valid.heartbeat
        ? [{ name: 'heartbeat', webhook_configs: [{ url: valid.heartbeat.webhookUrl }] }]
        : []),
    ],
  }
}
