import { describe, expect, it } from 'vitest'
import type { Timers } from '../../../shared/poll/index.ts'
import { fakeUpstreams } from '../testing/index.ts'
import { HealthChecker } from './index.ts'

function fakeTimers() {
  const pending: { callback: () => void; ms: number }[] = []
  const timers: Timers = {
    setTimeout: (callback, ms) => {
      const entry = { callback, ms }
      pending.push(entry)
      return entry
    },
    clearTimeout: (handle) => {
      const i = pending.indexOf(handle as (typeof pending)[number])
      if (i >= 0) pending.splice(i, 1)
    },
  }
  return { timers, pending }
}

describe('HealthChecker', () => {
  it('flips a target after the configured streaks, and reports each change', async () => {
    let up = false
    const upstream = fakeUpstreams({
      'http://a': (request) => {
        expect(new URL(request.url).pathname).toBe('/prefix/v2/health/ready')
        return new Response(null, { status: up ? 200 : 503 })
      },
    })
    const changes: [string, boolean][] = []
    const checker = new HealthChecker({
      targets: ['http://a/prefix/'],
      path: '/v2/health/ready',
      intervalMs: 1000,
      unhealthyAfter: 2,
      healthyAfter: 3,
      timeoutMs: 100,
      send: upstream.send,
      timers: fakeTimers().timers,
      onChange: (target, healthy) => changes.push([target, healthy]),
    })
    expect(checker.healthy('http://a/prefix/')).toBe(true)
    await checker.checkAll()
    expect(checker.healthy('http://a/prefix/')).toBe(true)
    await checker.checkAll()
    expect(checker.healthy('http://a/prefix/')).toBe(false)
    up = true
    await checker.checkAll()
    await checker.checkAll()
    expect(checker.healthy('http://a/prefix/')).toBe(false)
    await checker.checkAll()
    expect(checker.healthy('http://a/prefix/')).toBe(true)
    expect(changes).toEqual([
      ['http://a/prefix/', false],
      ['http://a/prefix/', true],
    ])
  })

  it('runs rounds on the injected timers until stopped', async () => {
    const { timers, pending } = fakeTimers()
    const upstream = fakeUpstreams({ 'http://a': () => new Response('ok') })
    const checker = new HealthChecker({
      targets: ['http://a'],
      path: '/health',
      intervalMs: 5000,
      unhealthyAfter: 1,
      healthyAfter: 1,
      timeoutMs: 100,
      send: upstream.send,
      timers,
    })
    checker.start()
    checker.start()
    expect(pending).toHaveLength(1)
    expect(pending[0]?.ms).toBe(5000)
    pending.shift()?.callback()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(upstream.calls).toHaveLength(1)
    expect(pending).toHaveLength(1)
    await checker.stop()
    expect(pending).toHaveLength(0)
  })
})
