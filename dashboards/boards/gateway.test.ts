import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { expect, it } from 'vitest'
import { describeWith, installed } from '../../testing/tools/index.ts'
import { promtoolExprTest } from '../testing/promtool.ts'
import { promTargets } from '../testing/queries.ts'
import { gatewayDashboard } from './gateway.ts'

const board = gatewayDashboard() as dashboard.Dashboard
const expr = (title: string) => {
  const panel = (board.panels ?? []).find((p) => p.title === title) as dashboard.Panel | undefined
  const [target] = panel ? promTargets(panel) : []
  if (!target) throw new Error(`no panel "${title}"`)
  return target.expr
}

// Two routes on targets of their own, and one target no route in force sends to any more.
const SERIES = {
  'infera_gateway_breaker_state{target="http://a:8082"}': '2x5',
  'infera_gateway_breaker_state{target="http://b:8082"}': '0x5',
  'infera_gateway_breaker_state{target="http://old:8082"}': '2x5',
  'infera_gateway_upstream_healthy{target="http://a:8082"}': '0x5',
  'infera_gateway_upstream_healthy{target="http://b:8082"}': '1x5',
  'infera_gateway_upstream_healthy{target="http://old:8082"}': '0x5',
  'infera_gateway_route_target_info{route="penguins",variant="production",target="http://a:8082"}':
    '1x5',
  'infera_gateway_route_target_info{route="mpg",variant="production",target="http://b:8082"}':
    '1x5',
}

describeWith(installed('promtool'), 'the gateway dashboard in Prometheus', (tools) => {
  it('shows the breakers and health checks of the targets of the routes picked', async () => {
    const picked = (title: string, route: string) =>
      expr(title).replaceAll('$route', route).replaceAll('$variant', '.*')
    const result = await promtoolExprTest(tools.promtool, { interval: '1m', series: SERIES }, [
      {
        expr: picked('Circuit breakers', 'penguins'),
        at: '2m',
        samples: [{ labels: '{target="http://a:8082"}', value: 2 }],
      },
      {
        expr: picked('Health checks', 'mpg'),
        at: '2m',
        samples: [{ labels: '{target="http://b:8082"}', value: 1 }],
      },
      {
        expr: picked('Circuit breakers', '.*'),
        at: '2m',
        samples: [
          { labels: '{target="http://a:8082"}', value: 2 },
          { labels: '{target="http://b:8082"}', value: 0 },
        ],
      },
    ])
    expect(result.status, result.output).toBe(0)
  })
})
