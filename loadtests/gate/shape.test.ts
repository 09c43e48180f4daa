import { describe, expect, it } from 'vitest'
import { SCENARIOS } from '../scenarios.ts'
import { parseDuration, scenarioSeconds, toSteps } from './shape.ts'

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h30m', 5400],
    ['500ms', 0.5],
  ])('%s is %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.each(['', '5', '5x', '1h 30m'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a k6 duration/)
  })
})

describe('toSteps', () => {
  it('runs constant VUs as that many connections, back to back', () => {
    expect(toSteps(SCENARIOS.smoke)).toEqual([{ seconds: 30, connections: 1 }])
  })

  it('runs a constant arrival rate at that rate, per second', () => {
    expect(toSteps(SCENARIOS.load)).toEqual([{ seconds: 300, rate: 50, connections: 20 }])
    expect(
      toSteps({
        executor: 'constant-arrival-rate',
        rate: 120,
        timeUnit: '1m',
        duration: '10s',
        preAllocatedVUs: 10,
      }),
    ).toEqual([{ seconds: 10, rate: 2, connections: 2 }])
  })

  it('turns a ramp into a staircase through the middle of each step', () => {
    const steps = toSteps({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      preAllocatedVUs: 50,
      stages: [
        { duration: '4s', target: 40 },
        { duration: '2s', target: 0 },
      ],
    })
    expect(steps.map((s) => s.rate)).toEqual([5, 15, 25, 35, 30, 10])
    expect(steps.every((s) => s.seconds === 1 && s.connections <= (s.rate as number))).toBe(true)
  })

  it('keeps the shape of a scenario scaled down to seconds', () => {
    const scale = 6 / scenarioSeconds(SCENARIOS.stress)
    const steps = toSteps(SCENARIOS.stress, scale)
    const rates = steps.map((s) => s.rate as number)
    expect(Math.max(...rates)).toBeGreaterThan(100)
    expect(rates[0]).toBeLessThan(50)
    expect(rates[rates.length - 1]).toBeLessThan(Math.max(...rates))
    expect(steps.reduce((sum, s) => sum + s.seconds, 0)).toBe(6)
  })

  it('refuses executors it cannot reproduce', () => {
    expect(() => toSteps({ executor: 'shared-iterations', iterations: 10 })).toThrow(
      /shared-iterations/,
    )
  })
})
