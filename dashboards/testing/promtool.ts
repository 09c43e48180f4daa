// Alert unit tests as data: each case gives input series and the alerts expected at one moment,
// and `promtool test rules` evaluates the generated rules against all of them at once.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { stringify } from 'yaml'
import { run } from '../../testing/tools/index.ts'
import { type AlertingRule, isAlert, type RuleGroup } from '../rules/index.ts'

export interface AlertCase {
  title: string
  alert: string
  /** When the alerts are checked, as a Prometheus duration from the first sample. */
  at: string
  /** Series in promtool's notation (`0+10x60`, `_` for no sample), one sample a minute. */
  series: Record<string, string>
  /**
   * The labels each alert expected to fire carries besides its rule's own; `severity` picks the
   * rule where several share the alert's name. Empty: nothing fires.
   */
  fires: Array<Record<string, string>>
}

/** The annotations Prometheus renders for these labels (only `{{ $labels.NAME }}` is used). */
function render(template: string, labels: Record<string, string>) {
  const text = template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => {
    const value = labels[name]
    if (value === undefined) throw new Error(`no label ${name} for "${template}"`)
    return value
  })
  if (text.includes('{{')) throw new Error(`unsupported template in "${template}"`)
  return text
}

function expectedAlert(rules: AlertingRule[], labels: Record<string, string>) {
  const rule = rules.find((r) => !labels.severity || r.labels.severity === labels.severity)
  if (!rule) throw new Error(`no rule ${rules[0]?.alert} of severity ${labels.severity}`)
  const all = { ...rule.labels, ...labels }
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations).map(([key, value]) => [key, render(value, all)]),
  )
  return { exp_labels: all, exp_annotations: annotations }
}

/**
 * Runs every case against the groups with promtool; the status is 0 when all pass. Rules are
 * evaluated every `evaluationInterval` up to each case's moment, which is what a case costs.
 */
export function promtoolTest(
  promtool: string,
  groups: RuleGroup[],
  cases: AlertCase[],
  evaluationInterval = '1m',
) {
  const alerts = groups.flatMap((group) => group.rules.filter(isAlert))
  const tests = cases.map((c) => ({
    name: c.title,
    interval: '1m',
    input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
    alert_rule_test: [
      {
        eval_time: c.at,
        alertname: c.alert,
        exp_alerts: c.fires.map((labels) =>
          expectedAlert(
            alerts.filter((rule) => rule.alert === c.alert),
            labels,
          ),
        ),
      },
    ],
  }))
  return runTests(promtool, { groups }, { evaluation_interval: evaluationInterval, tests })
}

/** `promtool test rules` on a tests file beside the rule file it names. */
function runTests(promtool: string, rules: { groups: RuleGroup[] }, tests: object) {
  const dir = mkdtempSync(join(tmpdir(), 'infera-rules-test-'))
  writeFileSync(join(dir, 'rules.yaml'), stringify(rules))
  writeFileSync(join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], ...tests }))
  return run(promtool, ['test', 'rules', 'tests.yaml'], { cwd: dir })
}

export interface ExprCase {
  expr: string
  /** When it is evaluated, as a Prometheus duration from the first sample. */
  at: string
  /** Exactly the samples it must give: labels as `{name="value"}`. Empty: none. */
  samples: Array<{ labels: string; value: number }>
}

/**
 * Evaluates PromQL expressions (dashboard queries) over input series with promtool; the status
 * is 0 when each case gives exactly its samples.
 */
export function promtoolExprTest(
  promtool: string,
  input: { interval: string; series: Record<string, string> },
  cases: ExprCase[],
) {
  const test = {
    interval: input.interval,
    input_series: Object.entries(input.series).map(([series, values]) => ({ series, values })),
    promql_expr_test: cases.map((c) => ({
      expr: c.expr,
      eval_time: c.at,
      exp_samples: c.samples,
    })),
  }
  return runTests(promtool, { groups: [] }, { tests: [test] })
}

/**
 * What the cases leave untested: each alert, at each severity it has, must be seen firing in one
 * case and evaluated without firing in another.
 */
export function untested(groups: RuleGroup[], cases: AlertCase[], alwaysFiring: string[] = []) {
  const missing: string[] = []
  for (const rule of groups.flatMap((group) => group.rules.filter(isAlert))) {
    const { alert, labels } = rule
    const mine = cases.filter((c) => c.alert === alert)
    const firesHere = (c: AlertCase) =>
      c.fires.some((l) => (l.severity ?? labels.severity) === labels.severity)
    if (!mine.some(firesHere)) missing.push(`${alert} (${labels.severity}) firing`)
    if (!alwaysFiring.includes(alert) && !mine.some((c) => !firesHere(c))) {
      missing.push(`${alert} (${labels.severity}) not firing`)
    }
  }
  return missing
}

/**
 * The two tests every alert suite has: each alert fires in a case and stays quiet in another (but
 * those in `alwaysFiring`), and promtool finds every case as expected.
 */
export function itChecksAlertCases(
  promtool: string,
  groups: RuleGroup[],
  cases: AlertCase[],
  alwaysFiring: string[] = [],
) {
  it(`has a firing and a quiet case for every alert${alwaysFiring.length ? ` but ${alwaysFiring.join(', ')}` : ''}`, () => {
    expect(untested(groups, cases, alwaysFiring)).toEqual([])
  })

  it('fires exactly as expected', async () => {
    const result = await promtoolTest(promtool, groups, cases)
    expect(result.output).toContain('SUCCESS')
    expect(result.status, result.output).toBe(0)
  })
}
