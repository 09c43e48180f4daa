import { describe, expect, it } from 'vitest'
import { Counter, Gauge, Histogram, Registry } from './index.ts'

describe('Registry', () => {
  it('writes counters and gauges with labels in the 0.0.4 text format', () => {
    const registry = new Registry()
    const counter = registry.register(new Counter('c_total', 'A counter.', ['a', 'b']))
    const gauge = registry.register(new Gauge('g', 'A gauge.'))
    counter.inc({ a: 'x', b: 'y' })
    counter.inc({ a: 'x', b: 'y' }, 2)
    counter.inc({ b: 'y', a: 'z' })
    gauge.set({}, 1.5)
    expect(registry.expose()).toBe(
      [
        '# HELP c_total A counter.',
        '# TYPE c_total counter',
        'c_total{a="x",b="y"} 3',
        'c_total{a="z",b="y"} 1',
        '# HELP g A gauge.',
        '# TYPE g gauge',
        'g 1.5',
        '',
      ].join('\n'),
    )
  })

  it('escapes label values and help text', () => {
    const registry = new Registry()
    registry.register(new Counter('e_total', 'line\none \\ two', ['v'])).inc({ v: 'a"b\\c\nd' })
    expect(registry.expose()).toContain('# HELP e_total line\\none \\\\ two')
    expect(registry.expose()).toContain('e_total{v="a\\"b\\\\c\\nd"} 1')
  })

  it('writes histogram buckets cumulatively, with +Inf, sum and count', () => {
    const histogram = new Histogram('h_seconds', 'A histogram.', ['r'], [1, 0.1])
    for (const value of [0.05, 0.5, 0.5, 7]) histogram.observe({ r: 'x' }, value)
    expect(histogram.expose().split('\n').slice(2)).toEqual([
      'h_seconds_bucket{r="x",le="0.1"} 1',
      'h_seconds_bucket{r="x",le="1"} 3',
      'h_seconds_bucket{r="x",le="+Inf"} 4',
      'h_seconds_sum{r="x"} 8.05',
      'h_seconds_count{r="x"} 4',
    ])
  })

  it('forgets every series of a gauge on reset', () => {
    const gauge = new Gauge('w', 'Weights.', ['variant'])
    gauge.set({ variant: 'stable' }, 90)
    gauge.set({ variant: 'canary' }, 10)
    gauge.reset()
    gauge.set({ variant: 'stable' }, 100)
    expect(gauge.expose().split('\n').slice(2)).toEqual(['w{variant="stable"} 100'])
  })

  it('refuses a counter decrease and a duplicate name', () => {
    const registry = new Registry()
    const counter = registry.register(new Counter('x_total', 'x'))
    expect(() => counter.inc({}, -1)).toThrow(RangeError)
    expect(() => registry.register(new Gauge('x_total', 'again'))).toThrow(/already registered/)
  })
})
