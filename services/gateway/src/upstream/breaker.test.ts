import { describe, expect, it } from 'vitest'
import { manualClock } from '../testing/index.ts'
import { type BreakerState, CircuitBreaker } from './index.ts'

function breaker() {
  const clock = manualClock()
  const changes: BreakerState[] = []
  const b = new CircuitBreaker({
    failures: 3,
    openMs: 1000,
    now: clock.now,
    onChange: (s) => changes.push(s),
  })
  return { b, clock, changes }
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures only', () => {
    const { b } = breaker()
    b.failure()
    b.failure()
    b.success()
    b.failure()
    b.failure()
    expect(b.state()).toBe('closed')
    b.failure()
    expect(b.state()).toBe('open')
    expect(b.acquire()).toBe(false)
  })

  it('lets one probe through when half-open; its success closes the breaker', () => {
    const { b, clock, changes } = breaker()
    for (let i = 0; i < 3; i++) b.failure()
    clock.advance(999)
    expect(b.available()).toBe(false)
    clock.advance(1)
    expect(b.state()).toBe('half-open')
    expect(b.acquire()).toBe(true)
    expect(b.acquire()).toBe(false)
    b.success()
    expect(b.state()).toBe('closed')
    expect(changes).toEqual(['open', 'half-open', 'closed'])
  })

  it('reopens for another open period when the probe fails', () => {
    const { b, clock } = breaker()
    for (let i = 0; i < 3; i++) b.failure()
    clock.advance(1000)
    expect(b.acquire()).toBe(true)
    b.failure()
    expect(b.state()).toBe('open')
    clock.advance(999)
    expect(b.state()).toBe('open')
    clock.advance(1)
    expect(b.state()).toBe('half-open')
  })
})
