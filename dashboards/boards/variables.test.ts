// A board whose panels ignore its variables shows every model while the picker says one: each
// query of every panel and annotation must select by each of the board's variables, unless what
// it reads has no label the variable could select.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, it } from 'vitest'
import { dashboardUsages } from '../testing/queries.ts'
import { buildDashboards } from './index.ts'

const dashboards = buildDashboards() as Record<string, dashboard.Dashboard>

interface Exemption {
  reason: string
  /** `panel "Title"` or `annotation "Name"`. */
  queries: string[]
}

const EXEMPT: Record<string, Record<string, Exemption>> = {
  inference: {
    version: {
      reason: 'counted per model: these metrics, and lifecycle events, have no version label',
      queries: [
        'panel "In flight"',
        'panel "Rejected"',
        'panel "Model loads"',
        'panel "Captured rows"',
        'panel "Dropped rows"',
        'annotation "Promotions and rollbacks"',
        'annotation "Canary decisions"',
      ],
    },
  },
  drift: {
    feature: {
      reason: 'figures of a whole window, a model or an event: these metrics have no feature label',
      queries: [
        'panel "Dataset drift"',
        'panel "Features drifted"',
        'panel "Drifted windows in a row"',
        'panel "Window filled"',
        'panel "Rows in"',
        'panel "Evaluations"',
        'panel "Model performance"',
        'panel "Labels and retraining"',
        'annotation "Promotions and rollbacks"',
        'annotation "Retraining"',
      ],
    },
  },
  gateway: {
    route: {
      reason: 'the rate limiter counts per tenant, before a route is chosen',
      queries: ['panel "Rate limited"'],
    },
    tenant: {
      reason: 'counted per route (histograms, retries, shadows) or per target, not per tenant',
      queries: [
        'panel "Upstream latency"',
        'panel "Request latency"',
        'panel "Retries"',
        'panel "Shadow disagreement"',
        'panel "Shadow traffic"',
        'panel "Circuit breakers"',
        'panel "Health checks"',
      ],
    },
    variant: {
      reason: 'retries, shadows and rate limits are counted per route or tenant, across variants',
      queries: [
        'panel "Rate limited"',
        'panel "Retries"',
        'panel "Shadow disagreement"',
        'panel "Shadow traffic"',
      ],
    },
  },
  slo: {
    slo: {
      reason: 'a lifecycle event belongs to a model, not to an SLO',
      queries: ['annotation "Promotions and rollbacks"', 'annotation "Canary decisions"'],
    },
  },
  gpu: {
    namespace: {
      reason: 'GPUs and nodes belong to no namespace',
      queries: [
        'panel "GPU utilisation"',
        'panel "GPU memory used"',
        'panel "GPU memory"',
        'panel "Temperature and power"',
        'panel "Nodes"',
        'panel "Nodes not ready"',
        'panel "GPUs allocatable"',
        'panel "Node CPU"',
        'panel "Node memory"',
      ],
    },
  },
  lifecycle: {
    model: {
      reason: "a server's syncs with the registry are of all its models at once",
      queries: ['panel "Registry sync errors"', 'panel "Registry syncs"'],
    },
  },
}

/** A matcher on the variable, as its multiple values need: `label=~"$name"`. */
const selectsBy = (expr: string, variable: string) =>
  new RegExp(`\\w+=~"\\$\\{?${variable}\\}?"`).test(expr)

describe('every panel and annotation honours its board’s variables', () => {
  it.each(Object.entries(dashboards))('%s', (name, board) => {
    const variables = (board.templating?.list ?? [])
      .filter((variable) => variable.type === 'query')
      .map((variable) => variable.name)
    const queries = dashboardUsages({ [name]: board })
      .filter((usage) => !usage.source.includes(' variable '))
      .map((usage) => ({ ...usage, query: usage.source.replace(`dashboard ${name}: `, '') }))
    expect(queries.length).toBeGreaterThan(0)

    const ignoring = variables.flatMap((variable) =>
      queries
        .filter(({ expr }) => !selectsBy(expr, variable))
        .map(({ query }) => `${query} ignores $${variable}`),
    )
    const exempt = Object.entries(EXEMPT[name] ?? {}).flatMap(([variable, { queries }]) =>
      queries.map((query) => `${query} ignores $${variable}`),
    )
    // Each query, not each panel: one query of a panel selecting is not enough.
    expect([...new Set(ignoring)].sort()).toEqual([...exempt].sort())
  })

  it('gives a reason for every exemption, on variables the boards have', () => {
    for (const [name, byVariable] of Object.entries(EXEMPT)) {
      const variables = (dashboards[name]?.templating?.list ?? []).map((v) => v.name)
      for (const [variable, { reason }] of Object.entries(byVariable)) {
        expect(variables, name).toContain(variable)
        expect(reason.length, `${name} $${variable}`).toBeGreaterThan(20)
      }
    }
  })
})
