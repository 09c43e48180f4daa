import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ModelServer,
  serve,
  startModelServer,
  startTestRegistry,
  type TestRegistry,
} from '../adapter/node/testing.ts'
import { createGatewayApp, type GatewayApp, type GatewayDeps } from '../app/index.ts'
import { hashApiKey } from '../auth/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../config/index.ts'
import { scrape, seededRandom, TEST_METRICS } from '../testing/index.ts'
import type { RegistrySync } from './index.ts'

// One registry for the file: each test follows models of its own names, and asserts on those.
let registry: TestRegistry
let a: ModelServer
let b: ModelServer
beforeAll(async () => {
  ;[registry, a, b] = await Promise.all([
    startTestRegistry(),
    startModelServer(),
    startModelServer(),
  ])
})
afterAll(async () => {
  await Promise.all([registry.close(), a.close(), b.close()])
})

const FALLBACK = {
  model: '*',
  variants: [{ name: 'fallback', weight: 100, targets: ['http://f'] }],
}

const API_KEY = 'registry-test-key'
const apiKeys = [{ tenant: 'test', sha256: await hashApiKey(API_KEY), models: ['*'] }]

type RegistryConfigFile = NonNullable<GatewayConfigFile['registry']>

/** A gateway following the test registry: on `a` unless `targets` or `groups` say otherwise. */
function follow(
  overrides: Partial<Pick<RegistryConfigFile, 'url' | 'targets' | 'groups'>> & {
    routes?: GatewayConfigFile['routes']
  } = {},
  deps: GatewayDeps = {},
) {
  const logs: Record<string, unknown>[] = []
  const { url = registry.url, groups, targets = groups ? undefined : [a.url] } = overrides
  const config = validateGatewayConfig(
    {
      registry: { url, targets, groups },
      routes: overrides.routes ?? [FALLBACK],
      auth: { api_keys: apiKeys },
      metrics: TEST_METRICS,
    },
    'test config',
  )
  const app = createGatewayApp(config, { log: (line) => logs.push(line), ...deps })
  /** An inference request for `model` through the gateway: its status and variant. */
  const infer = async (model: string) => {
    const response = await app.request(`/v2/models/${model}/infer`, {
      method: 'POST',
      body: '{"inputs":[]}',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    })
    await response.arrayBuffer()
    return { status: response.status, variant: response.headers.get('x-infera-variant') }
  }
  return { app, logs, infer }
}

const routeOf = (app: GatewayApp, model: string) =>
  app.getRoutes().find((route) => route.model === model)

/** The variants of a model's route, as name@version:weight. */
const split = (app: GatewayApp, model: string) =>
  routeOf(app, model)?.variants.map((v) => `${v.name}@${v.version}:${v.weight}`)

const pendingOf = (result: RegistrySync, model: string) =>
  result.ok ? result.pending.filter((v) => v.model === model).map((v) => v.version) : undefined

const weight = (route: string, variant: string, version: string) =>
  `infera_gateway_route_weight{route="${route}",variant="${variant}",version="${version}"}`

describe('following the registry', () => {
  it('routes each model holding production to that version, ahead of the file routes', async () => {
    await registry.register('solo', 2)
    await registry.promote('solo', 1)
    await registry.register('unpromoted', 1)
    a.loaded.add('solo/1').add('solo/2').add('unpromoted/1')
    const { app, logs } = follow()

    expect(await app.syncRegistry()).toMatchObject({ ok: true, changed: true })
    expect(routeOf(app, 'solo')).toEqual({
      model: 'solo',
      variants: [{ name: 'production', version: '1', weight: 100, targets: [a.url] }],
      timeout_ms: 10_000,
      retries: 1,
    })
    expect(routeOf(app, 'unpromoted')).toBeUndefined()
    expect(app.getRoutes().at(-1)?.model).toBe('*')

    // Nothing moved: the routes are left alone.
    expect(await app.syncRegistry()).toMatchObject({ ok: true, changed: false })
    expect(logs.filter((line) => line.event === 'routes')).toHaveLength(1)
    const samples = await scrape(app)
    expect(samples.get('infera_registry_syncs_total{follower="gateway",result="ok"}')).toBe(2)
    expect(samples.get(weight('solo', 'production', '1'))).toBe(100)
    expect(samples.get(weight('*', 'fallback', ''))).toBe(100)
  })

  it('splits by the canary weight, and drops the canary at weight 0 or once removed', async () => {
    await registry.register('split', 2)
    await registry.promote('split', 1)
    await registry.setCanary('split', 2, 25)
    a.loaded.add('split/1').add('split/2')
    const { app } = follow()

    await app.syncRegistry()
    expect(split(app, 'split')).toEqual(['production@1:75', 'canary@2:25'])
    expect((await scrape(app)).get(weight('split', 'canary', '2'))).toBe(25)

    await registry.setCanary('split', 2, 0)
    await app.syncRegistry()
    expect(split(app, 'split')).toEqual(['production@1:100'])
    // Gone from the exposition, not left at its last weight.
    expect((await scrape(app)).has(weight('split', 'canary', '2'))).toBe(false)

    await registry.setCanary('split', 2, 40)
    await app.syncRegistry()
    expect(split(app, 'split')).toEqual(['production@1:60', 'canary@2:40'])
    await registry.removeCanary('split')
    await app.syncRegistry()
    expect(split(app, 'split')).toEqual(['production@1:100'])
  })

  it('gives production all the traffic until the canary is ready', async () => {
    await registry.register('slow-canary', 2)
    await registry.promote('slow-canary', 1)
    await registry.setCanary('slow-canary', 2, 50)
    a.loaded.add('slow-canary/1')
    const { app, logs } = follow()

    const first = await app.syncRegistry()
    expect(split(app, 'slow-canary')).toEqual(['production@1:100'])
    expect(pendingOf(first, 'slow-canary')).toEqual([2])
    expect(logs).toContainEqual({
      event: 'registry_pending',
      versions: expect.arrayContaining([{ model: 'slow-canary', version: 2 }]),
    })

    // Asked again on the next sync: now loaded, it takes its share.
    a.loaded.add('slow-canary/2')
    expect(pendingOf(await app.syncRegistry(), 'slow-canary')).toEqual([])
    expect(split(app, 'slow-canary')).toEqual(['production@1:50', 'canary@2:50'])
  })

  it('keeps the route in force until a new production version is ready; rollbacks follow', async () => {
    await registry.register('moving', 3)
    await registry.promote('moving', 1)
    await registry.setCanary('moving', 2, 10)
    a.loaded.add('moving/1').add('moving/2')
    await registry.register('fresh', 1)
    await registry.promote('fresh', 1)
    const { app } = follow()

    await app.syncRegistry()
    expect(split(app, 'moving')).toEqual(['production@1:90', 'canary@2:10'])
    // Never ready, never routed: its requests still meet the file's routes.
    expect(routeOf(app, 'fresh')).toBeUndefined()

    // Promoted before the model server has loaded it: clients stay on the route in force.
    await registry.promote('moving', 3)
    expect(pendingOf(await app.syncRegistry(), 'moving')).toEqual([3])
    expect(split(app, 'moving')).toEqual(['production@1:90', 'canary@2:10'])

    a.loaded.add('moving/3')
    await app.syncRegistry()
    expect(split(app, 'moving')).toEqual(['production@3:90', 'canary@2:10'])

    await registry.rollback('moving')
    await app.syncRegistry()
    expect(split(app, 'moving')).toEqual(['production@1:90', 'canary@2:10'])
  })

  it('routes a version ready on any one target to all the targets', async () => {
    await registry.register('half', 1)
    await registry.promote('half', 1)
    b.loaded.add('half/1')
    const { app } = follow({ targets: [a.url, b.url] })

    await app.syncRegistry()
    expect(routeOf(app, 'half')?.variants).toEqual([
      { name: 'production', version: '1', weight: 100, targets: [a.url, b.url] },
    ])
  })

  it('lends a followed model the settings of the file route of its name', async () => {
    await registry.register('tuned', 1)
    await registry.promote('tuned', 1)
    a.loaded.add('tuned/1')
    const fileRoute = {
      model: 'tuned',
      variants: [{ name: 'pinned', weight: 100, targets: [b.url] }],
      sticky: { header: 'x-user-id' },
      timeout_ms: 500,
      retries: 0,
    }
    const { app } = follow({ routes: [fileRoute, FALLBACK] })
    expect(routeOf(app, 'tuned')?.variants.map((v) => v.name)).toEqual(['pinned'])

    await app.syncRegistry()
    expect(app.getRoutes().filter((route) => route.model === 'tuned')).toEqual([
      {
        ...fileRoute,
        variants: [{ name: 'production', version: '1', weight: 100, targets: [a.url] }],
      },
    ])
  })

  it('keeps the routes when the registry is unreachable or answers garbage, and counts it', async () => {
    await registry.register('steady', 1)
    await registry.promote('steady', 1)
    a.loaded.add('steady/1')
    // A stand-in that first relays the real registry's answer, then misbehaves.
    let answer = () => fetch(`${registry.url}/v1/models`)
    const standIn = await serve(() => answer())
    const { app, logs } = follow({ url: standIn.url })
    await app.syncRegistry()
    const routes = app.getRoutes()
    expect(split(app, 'steady')).toEqual(['production@1:100'])

    const failures: [() => Response, RegExp][] = [
      [() => new Response('<html>oops</html>'), /something other than JSON/],
      [() => Response.json({ models: [{ name: 'x' }] }), /unexpected shape: models\.0\.aliases/],
      [() => Response.json({ error: 'db down' }, { status: 500 }), /answered 500/],
    ]
    for (const [misbehave, error] of failures) {
      answer = async () => misbehave()
      expect(await app.syncRegistry()).toEqual({ ok: false, error: expect.stringMatching(error) })
    }
    await standIn.close()
    expect(await app.syncRegistry()).toMatchObject({ ok: false })

    expect(app.getRoutes()).toBe(routes)
    const samples = await scrape(app)
    expect(samples.get('infera_registry_syncs_total{follower="gateway",result="error"}')).toBe(4)
    expect(samples.get('infera_registry_syncs_total{follower="gateway",result="ok"}')).toBe(1)
    const errors = logs.filter((line) => line.event === 'registry_error')
    expect(errors).toHaveLength(4)
    expect(errors[0]).toEqual({
      event: 'registry_error',
      registry: standIn.url,
      error: expect.stringMatching(/something other than JSON/),
    })
  })

  it('polls every poll_seconds once started, one sync after another, until stopped', async () => {
    const scheduled: { callback: () => void; ms: number }[] = []
    const cleared: unknown[] = []
    const timers = {
      setTimeout: (callback: () => void, ms: number) => scheduled.push({ callback, ms }),
      clearTimeout: (handle: unknown) => cleared.push(handle),
    }
    await registry.register('polled', 1)
    await registry.promote('polled', 1)
    a.loaded.add('polled/1')
    const { app } = follow({}, { timers })

    app.registryFollower.start()
    expect(scheduled).toEqual([{ callback: expect.any(Function), ms: 5000 }])
    scheduled[0]?.callback()
    // Syncs run one at a time: this one starts once the poll's has finished.
    await app.syncRegistry()
    expect(split(app, 'polled')).toEqual(['production@1:100'])
    expect(
      (await scrape(app)).get('infera_registry_syncs_total{follower="gateway",result="ok"}'),
    ).toBe(2)
    // The next poll is scheduled when the last one ends.
    expect(scheduled).toHaveLength(2)

    await app.registryFollower.stop()
    expect(cleared).toEqual([2])
  })

  it('has nothing to sync without a registry in the config', async () => {
    const app = createGatewayApp(validateGatewayConfig({ routes: [FALLBACK] }, 'test config'))
    await expect(app.syncRegistry()).rejects.toThrow(/no registry to follow/)
  })
})

describe('following the registry in model groups', () => {
  /** The versions of `model` that reached `server`, in order. */
  const reached = (server: ModelServer, model: string) =>
    server.answered.filter((answer) => answer.startsWith(`${model}/`))

  it("routes each group's models to its own targets, each with its own canary", async () => {
    for (const [model, canary] of [
      ['cpu-model', 20],
      ['gpu-model', 50],
    ] as const) {
      await registry.register(model, 2)
      await registry.promote(model, 1)
      await registry.setCanary(model, 2, canary)
    }
    await registry.register('in-no-group', 1)
    await registry.promote('in-no-group', 1)
    // Both servers hold every version: only the groups keep each model on its own.
    for (const server of [a, b]) {
      for (const version of ['cpu-model/1', 'cpu-model/2', 'gpu-model/1', 'gpu-model/2']) {
        server.loaded.add(version)
      }
      server.loaded.add('in-no-group/1')
    }
    // The model in no group keeps its file route (pinned to a version this server answers for).
    const fileRoute = {
      model: 'in-no-group',
      variants: [{ name: 'by-hand', weight: 100, targets: [a.url], version: '1' }],
    }
    const { app, infer } = follow(
      {
        groups: [
          { models: ['cpu-model'], targets: [a.url] },
          { models: ['gpu-model'], targets: [b.url] },
        ],
        routes: [fileRoute, FALLBACK],
      },
      // Seeded: the weighted draws, and so which variants the requests below meet, are the same
      // every run.
      { random: seededRandom(7) },
    )

    expect(await app.syncRegistry()).toMatchObject({ ok: true, changed: true, pending: [] })
    expect(routeOf(app, 'cpu-model')?.variants).toEqual([
      { name: 'production', version: '1', weight: 80, targets: [a.url] },
      { name: 'canary', version: '2', weight: 20, targets: [a.url] },
    ])
    expect(routeOf(app, 'gpu-model')?.variants).toEqual([
      { name: 'production', version: '1', weight: 50, targets: [b.url] },
      { name: 'canary', version: '2', weight: 50, targets: [b.url] },
    ])
    expect(routeOf(app, 'in-no-group')?.variants.map((v) => v.name)).toEqual(['by-hand'])

    const answers = async (model: string, count: number) => {
      const variants = new Set<string | null>()
      for (let i = 0; i < count; i++) {
        const { status, variant } = await infer(model)
        expect(status).toBe(200)
        variants.add(variant)
      }
      return variants
    }
    expect(await answers('cpu-model', 40)).toEqual(new Set(['production', 'canary']))
    expect(await answers('gpu-model', 40)).toEqual(new Set(['production', 'canary']))
    expect(await answers('in-no-group', 1)).toEqual(new Set(['by-hand']))
    expect([reached(a, 'cpu-model').length, reached(b, 'cpu-model')]).toEqual([40, []])
    expect([reached(a, 'gpu-model'), reached(b, 'gpu-model').length]).toEqual([[], 40])
    expect(new Set(reached(b, 'gpu-model'))).toEqual(new Set(['gpu-model/1', 'gpu-model/2']))

    // One group's canary moving leaves the other's alone.
    await registry.removeCanary('gpu-model')
    await app.syncRegistry()
    expect(split(app, 'gpu-model')).toEqual(['production@1:100'])
    expect(split(app, 'cpu-model')).toEqual(['production@1:80', 'canary@2:20'])
  })

  it('checks readiness on the targets the model routes to, groups beside the targets', async () => {
    await registry.register('grouped', 2)
    await registry.promote('grouped', 1)
    await registry.setCanary('grouped', 2, 10)
    await registry.register('ungrouped', 1)
    await registry.promote('ungrouped', 1)
    // Ready on the other group's server: it is of no use to the model's requests.
    b.loaded.add('grouped/1').add('ungrouped/1')
    a.loaded.add('grouped/2')
    const { app } = follow({
      targets: [b.url],
      groups: [{ models: ['grouped'], targets: [a.url] }],
    })

    const first = await app.syncRegistry()
    expect(pendingOf(first, 'grouped')).toEqual([1])
    expect(routeOf(app, 'grouped')).toBeUndefined()
    expect(routeOf(app, 'ungrouped')?.variants).toEqual([
      { name: 'production', version: '1', weight: 100, targets: [b.url] },
    ])

    a.loaded.add('grouped/1')
    expect(pendingOf(await app.syncRegistry(), 'grouped')).toEqual([])
    expect(split(app, 'grouped')).toEqual(['production@1:90', 'canary@2:10'])
    expect(routeOf(app, 'grouped')?.variants.map((v) => v.targets)).toEqual([[a.url], [a.url]])
  })
})
