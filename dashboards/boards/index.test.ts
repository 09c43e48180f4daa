import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, it } from 'vitest'
import { DATASOURCE } from '../panels/index.ts'
import { dashboardUsages, promTargets } from '../testing/queries.ts'
import { buildDashboards } from './index.ts'

const dashboards = buildDashboards() as Record<string, dashboard.Dashboard>
const GRAFANA_VARIABLES = new Set(['__rate_interval', '__interval', '__range'])

describe('the dashboards', () => {
  it('are the five the issue asks for and the model lifecycle, with unique uids', () => {
    expect(Object.keys(dashboards)).toEqual([
      'inference',
      'drift',
      'gateway',
      'slo',
      'gpu',
      'lifecycle',
    ])
    const uids = Object.values(dashboards).map((d) => d.uid)
    expect(new Set(uids).size).toBe(uids.length)
    for (const uid of uids) expect(uid).toMatch(/^infera-[a-z-]+$/)
  })

  it.each(Object.entries(dashboards))('%s: data source and model are variables', (name, d) => {
    const variables = d.templating?.list ?? []
    expect(variables[0]).toMatchObject({
      type: 'datasource',
      name: 'datasource',
      query: 'prometheus',
    })
    const modelVariable = {
      inference: 'model',
      drift: 'model',
      slo: 'model',
      gateway: 'route',
      lifecycle: 'model',
    }
    const expected = modelVariable[name as keyof typeof modelVariable]
    if (expected) expect(variables.map((v) => v.name)).toContain(expected)
  })

  it.each(Object.entries(dashboards))('%s: every panel queries the chosen data source', (_, d) => {
    const panels = (d.panels ?? []) as dashboard.Panel[]
    const ids = panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE)
      expect(panel.description, panel.title).toBeTruthy()
      expect(panel.fieldConfig?.defaults.unit, panel.title).toBeTruthy()
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      const refIds = promTargets(panel).map((t) => t.refId)
      expect(new Set(refIds).size, panel.title).toBe(refIds.length)
    }
  })

  it.each(Object.entries(dashboards))('%s: uses only variables it defines', (name, d) => {
    const defined = new Set((d.templating?.list ?? []).map((v) => v.name))
    const undefinedVariables = dashboardUsages({ [name]: d }).flatMap(({ source, expr }) =>
      [...expr.matchAll(/\$\{?(\w+)\}?/g)]
        .map((match) => match[1] as string)
        .filter((v) => !defined.has(v) && !GRAFANA_VARIABLES.has(v))
        .map((v) => `${source}: $${v}`),
    )
    expect(undefinedVariables).toEqual([])
  })

  it('are plain JSON', () => {
    expect(JSON.parse(JSON.stringify(dashboards))).toEqual(dashboards)
  })
})
