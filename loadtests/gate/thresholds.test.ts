import { describe, expect, it } from 'vitest'
import { evaluate, percentile, type Samples } from './thresholds.ts'

const samples: Samples = {
  durations: [5, 1, 4, 2, 3, 100, 6, 7, 8, 9],
  failed: 1,
  requests: 1000,
  seconds: 10,
}

describe('evaluate', () => {
  it('computes what k6 computes for its HTTP metrics', () => {
    const results = evaluate(
      {
        http_req_duration: ['p(50)<6', 'p(90)<=20', 'avg>14', 'med==5.5', 'max<100', 'min>=1'],
        http_req_failed: ['rate<0.001', 'rate<0.01'],
        http_reqs: ['count==1000', 'rate>99'],
      },
      samples,
    )
    expect(results.map((r) => [r.expression, Number(r.value.toFixed(9)), r.ok])).toEqual([
      ['p(50)<6', 5.5, true],
      ['p(90)<=20', 18.1, true],
      ['avg>14', 14.5, true],
      ['med==5.5', 5.5, true],
      ['max<100', 100, false],
      ['min>=1', 1, true],
      ['rate<0.001', 0.001, false],
      ['rate<0.01', 0.001, true],
      ['count==1000', 1000, true],
      ['rate>99', 100, true],
    ])
  })

  it('fails a threshold over no responses at all', () => {
    const [result] = evaluate(
      { http_req_duration: ['p(99)<250'] },
      { durations: [], failed: 0, requests: 0, seconds: 1 },
    )
    expect(result?.ok).toBe(false)
  })

  it('refuses what it cannot evaluate rather than pass it', () => {
    expect(() => evaluate({ iteration_duration: ['p(95)<1'] }, samples)).toThrow(
      /iteration_duration/,
    )
    expect(() => evaluate({ http_req_failed: ['p(95)<1'] }, samples)).toThrow(/no p/)
    expect(() => evaluate({ http_req_duration: ['p95 < 1'] }, samples)).toThrow(/not a k6/)
  })
})

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5)
    expect(percentile([1, 2, 3, 4], 100)).toBe(4)
    expect(percentile([7], 99)).toBe(7)
  })
})
