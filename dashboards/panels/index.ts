// The few panel shapes the dashboards use, with Infera's defaults: every query on the
// `$datasource` variable, legends as tables, units always stated.
import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus'
import * as stat from '@grafana/grafana-foundation-sdk/stat'
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline'
import * as table from '@grafana/grafana-foundation-sdk/table'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'

/** Every panel and variable queries the data source the `datasource` variable picks. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JavaScript's
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' }

export interface Query {
  expr: string
  legend?: string
  /**
   * On a time series, a unit other than the panel's (seconds beside a rate, watts beside °C):
   * an axis of its own, on the right.
   */
  unit?: string
}

export type PanelBuilder = cog.Builder<dashboard.Panel>

interface PanelSpec {
  title: string
  description: string
  unit: string
  queries: Query[]
  /** Grid columns out of 24; 12 by default. */
  width?: number
  height?: number
  /** Value → text and colour, for states and flags. */
  states?: Record<number, { text: string; color: string }>
  /** Colour steps: the base colour, then from each value up. */
  thresholds?: { base: string; steps?: Array<[number, string]> }
}

/** What every panel builder of the SDK has, whatever its visualisation. */
interface CommonBuilder<B> {
  title(title: string): B
  description(description: string): B
  datasource(datasource: { type: string; uid: string }): B
  unit(unit: string): B
  span(width: number): B
  height(height: number): B
  targets(targets: cog.Builder<cog.Dataquery>[]): B
  mappings(mappings: dashboard.ValueMapping[]): B
  thresholds(thresholds: cog.Builder<dashboard.ThresholdsConfig>): B
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const refId = (index: number) => REF_IDS[index] as string

function targets(queries: Query[], instant = false) {
  return queries.map((query, i) => {
    const target = new prometheus.DataqueryBuilder()
      .expr(query.expr)
      .refId(refId(i))
      .legendFormat(query.legend ?? '__auto')
    return instant ? target.instant().format(prometheus.PromQueryFormat.Table) : target
  })
}

function withCommon<B extends CommonBuilder<B>>(builder: B, spec: PanelSpec, instant = false): B {
  let panel = builder
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .targets(targets(spec.queries, instant))
  if (spec.states) {
    const options = Object.fromEntries(
      Object.entries(spec.states).map(([value, result], index) => [value, { ...result, index }]),
    )
    panel = panel.mappings([{ type: dashboard.MappingType.ValueToText, options }])
  }
  if (spec.thresholds) {
    const { base, steps = [] } = spec.thresholds
    panel = panel.thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps([
          { value: null, color: base },
          ...steps.map(([value, color]) => ({ value, color })),
        ]),
    )
  }
  return panel
}

const tableLegend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['mean', 'max', 'lastNotNull'])

/** Lines over time; `stack: 'percent'` for shares such as a canary split. */
export function timeSeries(
  spec: PanelSpec & {
    stack?: 'normal' | 'percent'
    min?: number
    max?: number
    /** A log10 axis, for values across orders of magnitude such as p-values. */
    logScale?: boolean
  },
): PanelBuilder {
  let panel = withCommon(new timeseries.PanelBuilder(), spec)
    .legend(tableLegend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi))
    .fillOpacity(spec.stack ? 60 : 10)
  if (spec.stack) {
    const mode = spec.stack === 'percent' ? common.StackingMode.Percent : common.StackingMode.Normal
    panel = panel.stacking(new common.StackingConfigBuilder().mode(mode))
  }
  // Thresholds on a graph are lines where an alert would fire.
  if (spec.thresholds) {
    panel = panel.thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
    )
  }
  if (spec.logScale) {
    panel = panel.scaleDistribution(
      new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10),
    )
  }
  if (spec.min !== undefined) panel = panel.min(spec.min)
  if (spec.max !== undefined) panel = panel.max(spec.max)
  for (const [index, { unit }] of spec.queries.entries()) {
    if (unit === undefined || unit === spec.unit) continue
    panel = panel.overrideByQuery(refId(index), [
      { id: 'unit', value: unit },
      { id: 'custom.axisPlacement', value: common.AxisPlacement.Right },
    ])
  }
  return panel
}

/** The latest value, large, coloured by thresholds or states. */
export function singleStat(spec: PanelSpec): PanelBuilder {
  return withCommon(new stat.PanelBuilder(), { width: 6, height: 5, ...spec })
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
}

/** Which state each series was in over time: breakers, model versions, drift flags. */
export function stateTimeline(spec: PanelSpec & { states: PanelSpec['states'] }): PanelBuilder {
  return withCommon(new statetimeline.PanelBuilder(), spec)
    .mergeValues(true)
    .showValue(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true))
}

/** The current value of each series as a row, its labels as columns. */
export function currentTable(spec: PanelSpec): PanelBuilder {
  return withCommon(new table.PanelBuilder(), { width: 24, ...spec }, true).withTransformation({
    id: 'organize',
    options: { excludeByName: { Time: true } },
  })
}

export interface Row {
  title: string
  panels: PanelBuilder[]
}

interface BoardSpec {
  uid: string
  title: string
  description: string
  variables: cog.Builder<dashboard.VariableModel>[]
  /** Events drawn across every graph of the board. */
  annotations?: cog.Builder<dashboard.AnnotationQuery>[]
  rows: Row[]
}

/** A classic dashboard JSON, as Grafana's file provisioning and the dashboard sidecar load it. */
export function board(spec: BoardSpec): dashboard.Dashboard {
  let builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['infera'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('Infera')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['infera'])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true),
    )
  for (const variable of spec.variables) builder = builder.withVariable(variable)
  for (const annotation of spec.annotations ?? []) builder = builder.annotation(annotation)
  for (const row of spec.rows) {
    builder = builder.withRow(new dashboard.RowBuilder(row.title))
    for (const panel of row.panels) builder = builder.withPanel(panel)
  }
  // Plain JSON: the SDK's query objects carry marker methods that JSON drops anyway.
  const built = JSON.parse(JSON.stringify(builder.build())) as dashboard.Dashboard
  // Grafana wants unique panel ids; the builders leave them unset.
  for (const [index, panel] of (built.panels ?? []).entries()) panel.id = index + 1
  return built
}

/** The Prometheus data source to read from. */
export const datasourceVariable = () =>
  new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus')

/** A multi-value variable, named after `label`, over its values in the series `selector` picks. */
export const labelVariable = (label: string, title: string, selector: string) =>
  new dashboard.QueryVariableBuilder(label)
    .label(title)
    .query(`label_values(${selector}, ${label})`)
    .datasource(DATASOURCE)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
