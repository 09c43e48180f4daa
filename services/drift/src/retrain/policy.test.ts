import { describe, expect, it } from 'vitest'
import { RetrainPolicy } from './policy.ts'
import { evaluation } from './testing.ts'

const HOUR = 3_600_000

/** A policy whose clock the test sets. */
function policyAt(options: { consecutiveWindows?: number; cooldownMs?: number } = {}) {
  const clock = { now: 0 }
  const policy = new RetrainPolicy({ ...options, now: () => clock.now })
  return { policy, clock }
}

const ids = (model: string, version: string, ...indices: number[]) =>
  indices.map((i) => evaluation(model, version, i, true).window.id)

describe('RetrainPolicy', () => {
  it('decides after three drifted windows in a row, naming them and what drifted', () => {
    const { policy } = policyAt()
    expect(policy.observe(evaluation('m', '1', 0, true))).toBeUndefined()
    expect(policy.observe(evaluation('m', '1', 1, true))).toBeUndefined()
    const decision = policy.observe(evaluation('m', '1', 2, true))
    expect(decision).toMatchObject({ model: 'm', version: '1', windows: ids('m', '1', 0, 1, 2) })
    expect(decision?.reason).toMatch(/3 consecutive windows of m version 1/)
    expect(decision?.reason).toMatch(/1 of 2 columns drifted \(bill_length_mm\)/)
  })

  it('starts the streak again after a window without drift', () => {
    const { policy } = policyAt()
    for (const [i, drifted] of [true, true, false, true, true].entries()) {
      expect(policy.observe(evaluation('m', '1', i, drifted))).toBeUndefined()
    }
    expect(policy.observe(evaluation('m', '1', 5, true))?.windows).toEqual(ids('m', '1', 3, 4, 5))
  })

  it('counts each window once: a re-evaluation neither extends, resets nor repeats a streak', () => {
    const { policy } = policyAt({ cooldownMs: 0 })
    policy.observe(evaluation('m', '1', 0, true))
    policy.observe(evaluation('m', '1', 1, true))
    expect(policy.observe(evaluation('m', '1', 1, true))).toBeUndefined()
    expect(policy.observe(evaluation('m', '1', 0, false))).toBeUndefined()
    expect(policy.observe(evaluation('m', '1', 2, true))?.windows).toEqual(ids('m', '1', 0, 1, 2))
    expect(policy.observe(evaluation('m', '1', 2, true))).toBeUndefined()
    // The decision used its windows up: three new ones make the next.
    expect(policy.observe(evaluation('m', '1', 3, true))).toBeUndefined()
    expect(policy.observe(evaluation('m', '1', 4, true))).toBeUndefined()
    expect(policy.observe(evaluation('m', '1', 5, true))?.windows).toEqual(ids('m', '1', 3, 4, 5))
  })

  it('waits out the cooldown per model, then decides on the latest windows', () => {
    const { policy, clock } = policyAt({ cooldownMs: 6 * HOUR })
    for (const i of [0, 1]) policy.observe(evaluation('m', '1', i, true))
    expect(policy.observe(evaluation('m', '1', 2, true))).toBeDefined()
    clock.now = 1 * HOUR
    for (const i of [3, 4, 5, 6])
      expect(policy.observe(evaluation('m', '1', i, true))).toBeUndefined()
    // Another model has its own cooldown.
    for (const i of [0, 1]) policy.observe(evaluation('other', '1', i, true))
    expect(policy.observe(evaluation('other', '1', 2, true))).toBeDefined()
    clock.now = 6 * HOUR
    expect(policy.observe(evaluation('m', '1', 7, true))?.windows).toEqual(ids('m', '1', 5, 6, 7))
  })

  it('keeps a streak per version and the cooldown per model', () => {
    const { policy, clock } = policyAt({ consecutiveWindows: 2, cooldownMs: HOUR })
    policy.observe(evaluation('m', '1', 0, true))
    expect(policy.observe(evaluation('m', '2', 0, true))).toBeUndefined()
    expect(policy.observe(evaluation('m', '1', 1, true))).toMatchObject({ version: '1' })
    // Version 2 has its two drifted windows, but its model decided within the hour.
    expect(policy.observe(evaluation('m', '2', 1, true))).toBeUndefined()
    clock.now = HOUR
    expect(policy.observe(evaluation('m', '2', 2, true))).toMatchObject({
      version: '2',
      windows: ids('m', '2', 1, 2),
    })
  })

  it('restores streaks, counted windows and cooldowns from stored evaluations', () => {
    const history = [
      evaluation('a', '1', 1, true),
      evaluation('a', '1', 0, true),
      evaluation('b', '1', 0, true),
      evaluation('b', '1', 1, true),
      evaluation('b', '1', 2, true),
    ]
    const decidedAt = Date.parse(history[4]?.evaluated_at as string)
    const { policy, clock } = policyAt()
    // Forgotten by restore: otherwise a would decide on windows 8, 9 and 0.
    for (const i of [8, 9]) policy.observe(evaluation('a', '1', i, true))
    policy.restore(history)
    clock.now = decidedAt + HOUR
    // a: two drifted windows, given out of order; a re-evaluation of one of them doesn't count.
    expect(policy.observe(evaluation('a', '1', 1, true))).toBeUndefined()
    expect(policy.observe(evaluation('a', '1', 2, true))?.windows).toEqual(ids('a', '1', 0, 1, 2))
    // b decided an hour ago, by its evaluation time: in cooldown until six hours have passed.
    for (const i of [3, 4, 5]) expect(policy.observe(evaluation('b', '1', i, true))).toBeUndefined()
    clock.now = decidedAt + 6 * HOUR
    expect(policy.observe(evaluation('b', '1', 6, true))?.windows).toEqual(ids('b', '1', 4, 5, 6))
  })

  it('refuses options that could never or always decide', () => {
    expect(() => new RetrainPolicy({ consecutiveWindows: 0 })).toThrow(/consecutiveWindows/)
    expect(() => new RetrainPolicy({ consecutiveWindows: 1.5 })).toThrow(/consecutiveWindows/)
    expect(() => new RetrainPolicy({ cooldownMs: -1 })).toThrow(/cooldownMs/)
  })
})
