import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ModelServer,
  serve,
  startModelServer,
  startTestRegistry,
  type TestRegistry,
} from '../../adapter/node/testing.ts'
import { createGatewayApp, type GatewayApp, type GatewayDeps } from '../app/index.ts'
import { type GatewayConfigFile, validateGatewayConfig } from '../config/index.ts'
import { scrape } from '../testing/index.ts'
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

function follow(
  overrides: { url?: string; targets?: string[]; routes?: GatewayConfigFile['routes'] } = {},
  deps: GatewayDeps = {},
) {
  const logs: Record<string, unknown>[] = []
  const config = validateGatewayConfig(
    {
      registry: { url: overrides.url ?? registry.url, targets: overrides.targets ?? [a.url] },
      routes: overrides.routes ?? [FALLBACK],
    },
    'test config',
  )
  const app = createGatewayApp(config, { log: (line) => logs.push(line), ...deps })
  return { app, logs }
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
    expect(samples.get('infera_gateway_registry_syncs_total{result="ok"}')).toBe(2)
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
    expect(samples.get('infera_gateway_registry_syncs_total{result="error"}')).toBe(4)
    expect(samples.get('infera_gateway_registry_syncs_total{result="ok"}')).toBe(1)
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
    expect((await scrape(app)).get('infera_gateway_registry_syncs_total{result="ok"}')).toBe(2)
    // The next poll is scheduled when the last one ends.
    expect(scheduled).toHaveLength(2)

    app.registryFollower.stop()
    expect(cleared).toEqual([2])
  })

  it('has nothing to sync without a registry in the config', async () => {
    const app = createGatewayApp(validateGatewayConfig({ routes: [FALLBACK] }, 'test config'))
    await expect(app.syncRegistry()).rejects.toThrow(/no registry to follow/)
  })
})
