import { describe, expect, it } from 'vitest'
import { seededRandom } from '../testing/index.ts'
import { chooseVariant, findRoute, fnv1a, RoundRobin, type TargetState } from './index.ts'

const variants = [
  { name: 'stable', weight: 90 },
  { name: 'canary', weight: 10 },
]

describe('fnv1a', () => {
  it('matches the published 32-bit FNV-1a test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5)
    expect(fnv1a('a')).toBe(0xe40c292c)
    expect(fnv1a('foobar')).toBe(0xbf9cf968)
  })
})

describe('chooseVariant', () => {
  it('splits by weight', () => {
    const random = seededRandom(7)
    let canary = 0
    for (let i = 0; i < 10_000; i++) if (chooseVariant(variants, random).name === 'canary') canary++
    expect(Math.abs(canary / 100 - 10)).toBeLessThanOrEqual(2)
  })

  it('keeps a sticky key on one variant and spreads keys by weight', () => {
    const never = () => {
      throw new Error('sticky choice must not use random')
    }
    const counts = { stable: 0, canary: 0 }
    for (let user = 0; user < 10_000; user++) {
      const first = chooseVariant(variants, never, `user-${user}`)
      expect(chooseVariant(variants, never, `user-${user}`)).toBe(first)
      counts[first.name as keyof typeof counts]++
    }
    expect(Math.abs(counts.canary / 100 - 10)).toBeLessThanOrEqual(2)
  })

  it('never picks a variant of weight 0', () => {
    const random = seededRandom(1)
    const zero = [
      { name: 'a', weight: 100 },
      { name: 'b', weight: 0 },
    ]
    for (let i = 0; i < 1000; i++) expect(chooseVariant(zero, random).name).toBe('a')
    expect(chooseVariant(zero, () => 0.999_999_999_999).name).toBe('a')
  })
})

describe('findRoute', () => {
  const routes = [{ model: '*' }, { model: 'iris' }]
  it('prefers the model own route over the catch-all', () => {
    expect(findRoute(routes, 'iris')).toBe(routes[1])
    expect(findRoute(routes, 'other')).toBe(routes[0])
    expect(findRoute([{ model: 'iris' }], 'other')).toBeUndefined()
  })
})

describe('RoundRobin', () => {
  const state = (unavailable: string[] = [], unhealthy: string[] = []): TargetState => ({
    available: (t) => !unavailable.includes(t),
    healthy: (t) => !unhealthy.includes(t),
  })

  it('rotates the first target per key', () => {
    const rr = new RoundRobin()
    const firsts = [0, 1, 2, 3].map(() => rr.order('k', ['a', 'b', 'c'], state())[0])
    expect(firsts).toEqual(['a', 'b', 'c', 'a'])
    expect(rr.order('other', ['a', 'b', 'c'], state())[0]).toBe('a')
  })

  it('drops unavailable targets and puts unhealthy ones last', () => {
    const rr = new RoundRobin()
    expect(rr.order('k', ['a', 'b', 'c'], state(['b'], ['a']))).toEqual(['c', 'a'])
  })
})
