import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, it } from 'vitest'
import { DATASOURCE } from '../panels/index.ts'
import { dashboardUsages, promTargets } from '../testing/queries.ts'
import { buildDashboards } from './index.ts'

const dashboards = buildDashboards() as Record<string, dashboard.Dashboard>
const GRAFANA_VARIABLES = new Set(['__rate_interval', '__interval', '__range'])

/** Each query's unit and the side of its axis, by refId, as Grafana draws them. */
function axes(panel: dashboard.Panel) {
  const { defaults, overrides } = panel.fieldConfig ?? { defaults: {}, overrides: [] }
  return Object.fromEntries(
    promTargets(panel).map(({ refId }) => {
      const override = overrides.find(
        (o) => o.matcher.id === 'byFrameRefID' && o.matcher.options === refId,
      )
      const property = (id: string) => override?.properties.find((p) => p.id === id)?.value
      const unit = property('unit') ?? defaults.unit
      const side = property('custom.axisPlacement') ?? defaults.custom?.axisPlacement ?? 'left'
      return [refId, `${unit} ${side}`]
    }),
  )
}

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

  it.each([
    ['gpu', 'Temperature and power', { A: 'celsius left', B: 'watt right' }],
    ['drift', 'Evaluations', { A: 'short left', B: 's right' }],
    ['drift', 'Model performance', { A: 'percentunit left', B: 'none right' }],
    ['drift', 'Labels and retraining', { A: 'short left', B: 'none right' }],
    ['gateway', 'Shadow traffic', { A: 'reqps left', B: 's right' }],
  ])('%s: "%s" draws each quantity in its unit, on an axis of its own', (name, title, expected) => {
    const panel = (dashboards[name]?.panels ?? []).find((p) => p.title === title)
    expect(panel, title).toBeDefined()
    expect(axes(panel as dashboard.Panel)).toEqual(expected)
  })

  it('are plain JSON', () => {
    expect(JSON.parse(JSON.stringify(dashboards))).toEqual(dashboards)
  })
})
