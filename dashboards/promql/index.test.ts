import { describe, expect, it } from 'vitest'
import { metricNames, variableMetricNames } from './index.ts'

describe('metricNames', () => {
  it.each([
    ['up', ['up']],
    [
      'sum by (model, le) (rate(infera_x_bucket{model=~"$model",le="0.1"}[$__rate_interval]))',
      ['infera_x_bucket'],
    ],
    [
      'histogram_quantile(0.99, sum without (instance) (rate(a_bucket[5m] offset 1h)))',
      ['a_bucket'],
    ],
    ['(a{status=~"5.."} or b * 0) / on (slo) group_left (service) c', ['a', 'b', 'c']],
    [
      'slo:sli_error:ratio_rate1h{slo="x"} > (14.4 * 0.001) and bool d',
      ['slo:sli_error:ratio_rate1h', 'd'],
    ],
    ['max_over_time(e[5m:1m]) unless ignoring (a) f', ['e', 'f']],
    ['label_replace(g, "dst", "$1 and or", "src", "(.*)")', ['g']],
    ['vector(1) + 2e3 + Inf + NaN', []],
    [
      'DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.9',
      ['DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE'],
    ],
    ['{__name__=~"slo:.+"}', []],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names)
  })
})

describe('variableMetricNames', () => {
  it('reads the series of label_values, not the label', () => {
    expect(variableMetricNames('label_values(infera_a{model=~"$model"}, version)')).toEqual([
      'infera_a',
    ])
    expect(variableMetricNames('label_values(model)')).toEqual([])
    expect(variableMetricNames('sum(b)')).toEqual(['b'])
  })
})
