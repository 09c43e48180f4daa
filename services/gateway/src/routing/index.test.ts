import { describe, expect, it } from 'vitest'
import { gateway, infer, ok } from '../testing/gateway.ts'
import { scrape, seededRandom } from '../testing/index.ts'
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

describe('variants', () => {
  const canaryRoute = (extra: object = {}) => ({
    routes: [
      {
        model: 'iris',
        variants: [
          { name: 'stable', weight: 95, targets: ['http://a'] },
          { name: 'canary', weight: 5, targets: ['http://b'] },
        ],
        ...extra,
      },
    ],
  })

  it('splits traffic within 2 points of the canary weight over 10,000 requests', async () => {
    const { call, upstream } = gateway(canaryRoute(), undefined, { random: seededRandom(2024) })
    const counts = new Map<string, number>()
    for (let i = 0; i < 10_000; i++) {
      const variant = (await call('/v2/models/iris/ready')).headers.get('x-infera-variant') ?? ''
      counts.set(variant, (counts.get(variant) ?? 0) + 1)
    }
    const canary = counts.get('canary') ?? 0
    expect(Math.abs(canary / 100 - 5)).toBeLessThanOrEqual(2)
    expect(canary + (counts.get('stable') ?? 0)).toBe(10_000)
    expect(upstream.calls.filter((c) => c.url.startsWith('http://b/'))).toHaveLength(canary)
  })

  it('keeps one sticky header value on one variant', async () => {
    const { call } = gateway(canaryRoute({ sticky: { header: 'x-user-id' } }))
    const seen = new Map<string, Set<string>>()
    for (let user = 0; user < 200; user++) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const response = await call('/v2/models/iris/ready', {
          headers: { 'x-user-id': `u${user}` },
        })
        const variants = seen.get(`u${user}`) ?? new Set()
        variants.add(response.headers.get('x-infera-variant') ?? '')
        seen.set(`u${user}`, variants)
      }
    }
    expect([...seen.values()].every((variants) => variants.size === 1)).toBe(true)
    const canaryUsers = [...seen.values()].filter((v) => v.has('canary')).length
    expect(canaryUsers).toBeGreaterThan(0)
    expect(canaryUsers).toBeLessThan(40)
  })
})

describe('versions and live routes', () => {
  const path = (c: Request) => new URL(c.url).pathname

  it('pins a variant to a model version on both protocols, unless the client named one', async () => {
    const { call, upstream } = gateway({
      routes: [
        {
          model: 'iris',
          variants: [{ name: 'v2', weight: 100, targets: ['http://a'], version: '2' }],
        },
      ],
    })
    await call('/v2/models/iris/infer', infer)
    await call('/v1/models/iris:predict', infer)
    await call('/v2/models/iris/versions/1/infer?x=1', infer)
    expect(upstream.calls.map((c) => `${path(c)}${new URL(c.url).search}`)).toEqual([
      '/v2/models/iris/versions/2/infer',
      '/v1/models/iris/versions/2:predict',
      '/v2/models/iris/versions/1/infer?x=1',
    ])
  })

  it('moves traffic with setRoutes while serving, new targets included', async () => {
    const { app, call, upstream } = gateway({}, { 'http://a': ok, 'http://c': ok })
    await call('/v2/models/iris/ready')
    app.setRoutes([
      { model: 'iris', variants: [{ name: 'next', weight: 100, targets: ['http://c'] }] },
    ])
    const response = await call('/v2/models/iris/ready')
    expect(response.headers.get('x-infera-variant')).toBe('next')
    expect(upstream.calls.map((c) => new URL(c.url).origin)).toEqual(['http://a', 'http://c'])
    expect(app.getRoutes()[0]?.variants[0]?.name).toBe('next')
    expect((await scrape(app)).get('infera_gateway_breaker_state{target="http://c"}')).toBe(0)
  })

  it('rejects bad routes naming the key, and keeps the old ones', async () => {
    const { app, call } = gateway()
    expect(() =>
      app.setRoutes([
        { model: 'iris', variants: [{ name: 'x', weight: 50, targets: ['http://a'] }] },
      ]),
    ).toThrow(/routes is invalid: 0\.variants: weights sum to 50, not 100/)
    expect(() => app.setRoutes([{ model: 'iris', variants: [] }])).toThrow(/0\.variants/)
    expect((await call('/v2/models/iris/ready')).headers.get('x-infera-variant')).toBe('stable')
  })
})
