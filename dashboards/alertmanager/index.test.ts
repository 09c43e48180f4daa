import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWith, installed, run } from '../../testing/tools/index.ts'
import { toYaml } from '../build.ts'
import { WATCHDOG } from '../rules/platform.ts'
import { type Server, startServer, waitFor } from '../testing/processes.ts'
import { type AlertReceivers, BLACKHOLE, buildAlertmanagerConfig } from './index.ts'

const ALL: AlertReceivers = {
  pagerduty: { routingKey: 'a-routing-key' },
  slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/x', channel: '#infera-alerts' },
  email: {
    to: 'oncall@example.com',
    from: 'alerts@example.com',
    smarthost: 'smtp.example.com:587',
  },
  heartbeat: { webhookUrl: 'https://hc-ping.com/infera' },
}

const dir = mkdtempSync(join(tmpdir(), 'infera-alertmanager-'))

/** The configuration for these receivers, written to a file the tools read. */
function configFile(name: string, receivers: AlertReceivers) {
  const path = join(dir, `${name}.yaml`)
  writeFileSync(path, toYaml(buildAlertmanagerConfig(receivers)))
  return path
}

it('refuses receivers it cannot use, naming the key', () => {
  expect(() => buildAlertmanagerConfig({ slack: { webhookUrl: 'nope', channel: '#a' } })).toThrow(
    /webhookUrl/,
  )
  expect(() =>
    buildAlertmanagerConfig({ email: { to: 'a@b.c', from: 'd@e.f', smarthost: 'smtp' } }),
  ).toThrow(/smarthost/)
})

describeWith(installed('amtool', 'alertmanager'), 'Alertmanager configuration', (tools) => {
  /** The receivers an alert with these labels is routed to, as amtool reads the config. */
  async function routes(config: string, labels: Record<string, string>) {
    const pairs = Object.entries(labels).map(([name, value]) => `${name}=${value}`)
    const result = await run(tools.amtool, [
      'config',
      'routes',
      'test',
      `--config.file=${config}`,
      ...pairs,
    ])
    expect(result.status, result.output).toBe(0)
    return result.stdout.trim().split(',')
  }

  it.each([
    ['every receiver', ALL],
    ['e-mail only', { email: ALL.email }],
    ['no receiver', {}],
  ])('passes amtool check-config with %s', async (name, receivers) => {
    const result = await run(tools.amtool, ['check-config', configFile(name, receivers)])
    expect(result.output).toContain('SUCCESS')
    expect(result.status, result.output).toBe(0)
  })

  it('routes pages to PagerDuty and Slack, tickets to Slack, the rest to e-mail', async () => {
    const config = configFile('all', ALL)
    const page = { severity: 'page', service: 'inference', model: 'penguins' }
    expect(await routes(config, page)).toEqual(['pagerduty', 'slack'])
    expect(await routes(config, { ...page, severity: 'ticket' })).toEqual(['slack'])
    expect(await routes(config, { ...page, severity: 'info' })).toEqual(['email'])
    expect(await routes(config, { alertname: 'Unknown' })).toEqual(['email'])
    expect(await routes(config, { alertname: WATCHDOG, severity: 'none' })).toEqual(['heartbeat'])
  })

  it('falls back to the receivers that are configured', async () => {
    const emailOnly = configFile('email', { email: ALL.email })
    expect(await routes(emailOnly, { severity: 'page' })).toEqual(['email'])
    expect(await routes(emailOnly, { severity: 'ticket' })).toEqual(['email'])
    expect(await routes(emailOnly, { alertname: WATCHDOG, severity: 'none' })).toEqual([BLACKHOLE])
    const slackOnly = configFile('slack', { slack: ALL.slack })
    expect(await routes(slackOnly, { severity: 'page' })).toEqual(['slack'])
    expect(await routes(slackOnly, { severity: 'info' })).toEqual(['slack'])
    const none = configFile('none', {})
    expect(await routes(none, { severity: 'page' })).toEqual([BLACKHOLE])
  })

  describe('a running Alertmanager', () => {
    let alertmanager: Server
    beforeAll(async () => {
      alertmanager = await startServer(tools.alertmanager, [
        `--config.file=${configFile('running', ALL)}`,
        `--storage.path=${join(dir, 'data')}`,
        // One instance: no gossip port.
        '--cluster.listen-address=',
      ])
    })
    afterAll(() => alertmanager?.stop())

    it('holds back tickets while a page about the same service and model fires', async () => {
      const alert = (labels: Record<string, string>) => ({ labels })
      const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          alert({
            alertname: 'InferaModelNotReady',
            severity: 'page',
            service: 'inference',
            model: 'penguins',
          }),
          alert({
            alertname: 'InferaRequestsRejected',
            severity: 'ticket',
            service: 'inference',
            model: 'penguins',
          }),
          alert({
            alertname: 'InferaRequestsRejected',
            severity: 'ticket',
            service: 'inference',
            model: 'mpg',
          }),
          alert({ alertname: 'InferaGatewayBreakerOpen', severity: 'ticket', service: 'gateway' }),
        ]),
      })
      expect(posted.status).toBe(200)
      type Alert = { labels: Record<string, string>; status: { state: string } }
      const states = await waitFor('the alerts to settle', async () => {
        const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Alert[]
        const byKey = Object.fromEntries(
          alerts.map((a) => [`${a.labels.alertname} ${a.labels.model ?? ''}`, a.status.state]),
        )
        return Object.keys(byKey).length === 4 && Object.values(byKey).includes('suppressed')
          ? byKey
          : undefined
      })
      expect(states).toEqual({
        'InferaModelNotReady penguins': 'active',
        'InferaRequestsRejected penguins': 'suppressed',
        'InferaRequestsRejected mpg': 'active',
        'InferaGatewayBreakerOpen ': 'active',
      })
    })
  })
})
