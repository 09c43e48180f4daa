import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../testing/tools/index.ts'
import { buildDashboards } from '../boards/index.ts'
import { DATASOURCE } from '../panels/index.ts'
import { type ExprCase, promtoolExprTest } from '../testing/promtool.ts'

const dashboards = buildDashboards() as Record<string, dashboard.Dashboard>
const annotationsOf = (board: string) => dashboards[board]?.annotations?.list ?? []

const PROMOTIONS = 'Promotions and rollbacks'
const CANARY = 'Canary decisions'
const RETRAINING = 'Retraining'

describe('lifecycle annotations', () => {
  it('are on the boards where what serves, or what it is watched against, changes', () => {
    const names = Object.fromEntries(
      Object.keys(dashboards).map((board) => [board, annotationsOf(board).map((a) => a.name)]),
    )
    expect(names).toEqual({
      inference: [PROMOTIONS, CANARY],
      drift: [PROMOTIONS, RETRAINING],
      gateway: [],
      slo: [PROMOTIONS, CANARY],
      gpu: [],
      lifecycle: [PROMOTIONS, CANARY, RETRAINING],
    })
  })

  it('query the chosen data source, are on, and title and tag each event by its labels', () => {
    for (const annotation of Object.keys(dashboards).flatMap(annotationsOf)) {
      expect(annotation, annotation.name).toMatchObject({ datasource: DATASOURCE, enable: true })
      const tags = annotation.tagKeys?.split(',') ?? []
      expect(tags, annotation.name).toContain('model')
      for (const tag of tags) {
        expect(annotation.titleFormat, annotation.name).toContain(`{{${tag}}}`)
        expect(annotation.expr, annotation.name).toContain(`by (${tags.join(', ')})`)
      }
    }
  })
})

// Every lifecycle series counts its first event at 10 minutes (born at 1, as prom-client exports
// it) and another at 30; the ignored ones change alike but must never show.
const SERIES: Record<string, { shown: string; ignored: string[] }> = {
  [PROMOTIONS]: {
    shown: 'infera_registry_transitions_total{model="penguins",action="promote"}',
    ignored: [
      'infera_registry_transitions_total{model="penguins",action="register"}',
      'infera_registry_transitions_total{model="mpg",action="rollback"}',
    ],
  },
  [CANARY]: {
    shown: 'infera_canary_decisions_total{model="penguins",verdict="rollback"}',
    ignored: ['infera_canary_decisions_total{model="mpg",verdict="promote"}'],
  },
  [RETRAINING]: {
    shown: 'infera_drift_retrain_jobs_total{model="penguins",trainer="local",status="failed"}',
    ignored: ['infera_drift_retrain_jobs_total{model="mpg",trainer="local",status="started"}'],
  },
}
const SCRAPE = '30s'
const TWO_EVENTS = '_x20 1x39 2x40'
// Grafana queries annotations at a 1-minute step; over 30 s scrapes its $__rate_interval is
// then 2 minutes (four scrapes). Each event shows at the steps within those 2 minutes.
const RATE_INTERVAL = '2m'
const SHOWN_AT_MINUTES = [10, 11, 30, 31]

describeWith(installed('promtool'), 'lifecycle annotations in Prometheus', (tools) => {
  it('mark each event of the model picked once, the first one included, and nothing else', async () => {
    const annotations = annotationsOf('lifecycle')
    expect(annotations.map((a) => a.name).sort()).toEqual(Object.keys(SERIES).sort())
    const series = Object.fromEntries(
      Object.values(SERIES).flatMap(({ shown, ignored }) =>
        [shown, ...ignored].map((s) => [s, TWO_EVENTS]),
      ),
    )
    const cases = annotations.flatMap(({ name, expr = '', tagKeys = '' }): ExprCase[] => {
      // As Grafana sends it with "penguins" picked; counted per event, as its tags tell them apart.
      const sent = expr
        .replaceAll('$__rate_interval', RATE_INTERVAL)
        .replaceAll('$model', 'penguins')
      const shown = SERIES[name]?.shown ?? ''
      return Array.from({ length: 46 }, (_, minute) => ({
        expr: `count by (${tagKeys}) (${sent})`,
        at: `${minute}m`,
        samples: SHOWN_AT_MINUTES.includes(minute)
          ? [{ labels: shown.slice(shown.indexOf('{')), value: 1 }]
          : [],
      }))
    })
    const result = await promtoolExprTest(tools.promtool, { interval: SCRAPE, series }, cases)
    expect(result.status, result.output).toBe(0)
  })
})
