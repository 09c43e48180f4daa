import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { artifactKey } from '../../../registry/src/artifacts/index.ts'
import { registration, tempDir, usePenguinsRegistry } from '../../../registry/src/testing/index.ts'
import { createInferenceMetrics } from '../metrics/index.ts'
import { ModelRepository } from '../repository/index.ts'
import { until } from '../testing/index.ts'
import { RegistryFollower, type RegistryFollowerOptions } from './index.ts'

const fx = usePenguinsRegistry()
const alice = { actor: 'alice' }
const toProduction = { ...alice, to: 'production' as const, force: true, reason: 'test' }

const stopping: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stopping.splice(0)) await stop()
})

/** Registers `count` versions of `name` and puts the first in production. */
async function registered(name: string, count: number) {
  for (let i = 0; i < count; i++) await fx.registry.register(registration(name, fx.good))
  await fx.registry.promote(name, 1, toProduction)
}

/** A follower writing into a fresh folder, and the repository a server loads from that folder. */
function follow(
  options: Pick<RegistryFollowerOptions, 'drainMs' | 'intervalMs' | 'models'> = {},
  /** Runs before each load the follower asks for: a fault in the folder, as a bad disk makes. */
  beforeLoad = () => {},
) {
  const dir = tempDir()
  const metrics = createInferenceMetrics({ processMetrics: false })
  const logs: Record<string, unknown>[] = []
  const logger = pino({}, { write: (line: string) => logs.push(JSON.parse(line)) })
  const repository = new ModelRepository({ dir, metrics, logger })
  const follower = new RegistryFollower({
    registry: fx.registry,
    modelsDir: dir,
    logger,
    metrics,
    repository: {
      index: () => repository.index(),
      reload: (names) => {
        beforeLoad()
        return repository.reload(names)
      },
    },
    ...options,
  })
  stopping.push(async () => {
    await follower.stop()
    await repository.close()
  })
  return {
    dir,
    follower,
    repository,
    logs,
    /** Versions loaded so far: a sync that wrote nothing loads nothing. */
    loads: async () =>
      (await metrics.modelLoads.get()).values
        .filter(({ labels }) => labels.result === 'success')
        .reduce((sum, { value }) => sum + value, 0),
    /** The result of one sync for `name`. */
    sync: async (name: string) => (await follower.sync()).find((m) => m.name === name),
    served: (name: string) => repository.readyVersions(name).map((m) => m.version),
    /** The version serving each alias, as the gauge says. */
    aliases: async (name: string) =>
      Object.fromEntries(
        (await metrics.registryServedVersion.get()).values
          .filter(({ labels }) => labels.model === name)
          .map(({ labels, value }) => [labels.alias, value]),
      ),
    syncs: async () =>
      Object.fromEntries(
        (await metrics.registrySyncs.get()).values.map(({ labels, value }) => [
          labels.result,
          value,
        ]),
      ),
  }
}

describe('RegistryFollower', () => {
  it('serves what holds the aliases, and a version that lost its alias until its drain is over', async () => {
    const name = 'followed'
    await registered(name, 2)
    const f = follow({ drainMs: 60_000 })
    await f.follower.sync()
    expect(f.served(name)).toEqual(['1'])
    expect(await f.loads()).toBe(1)
    // Nothing written, nothing to reload.
    await f.follower.sync()
    expect(await f.loads()).toBe(1)

    await fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 10 })
    expect(await f.sync(name)).toMatchObject({ written: [2], kept: [] })
    expect(f.served(name)).toEqual(['2', '1'])
    expect(await f.aliases(name)).toEqual({ production: 1, canary: 2 })

    // Every sync within the drain keeps the version that lost production.
    await fx.registry.promote(name, 2, toProduction)
    for (let i = 0; i < 2; i++) {
      expect(await f.sync(name)).toMatchObject({
        versions: [{ version: 2, alias: 'production' }],
        removed: [],
        kept: [1],
      })
      expect(f.served(name)).toEqual(['2', '1'])
    }
    expect(await f.aliases(name)).toEqual({ production: 2 })

    // A rollback gives 1 its alias back: 2 drains now.
    await fx.registry.rollback(name, alice)
    expect(await f.sync(name)).toMatchObject({
      versions: [{ version: 1, alias: 'production' }],
      kept: [2],
    })
    expect(f.served(name)).toEqual(['2', '1'])
    expect(await f.syncs()).toEqual({ ok: 6 })
  })

  it('removes a version at the first sync after its drain is over', async () => {
    const name = 'drained'
    await registered(name, 2)
    const f = follow({ drainMs: 0 })
    await f.follower.sync()
    await fx.registry.promote(name, 2, toProduction)
    expect(await f.sync(name)).toMatchObject({ written: [2], kept: [1] })
    expect(f.served(name)).toEqual(['2', '1'])
    expect(await f.sync(name)).toMatchObject({ removed: [1], kept: [] })
    expect(f.served(name)).toEqual(['2'])
  })

  it('keeps serving what it has when an artifact fails verification, and says so', async () => {
    const name = 'tampered'
    const reference = (v: number) => `species\nthe training data of ${name} ${v}\n`
    for (const v of [1, 2]) {
      await fx.registry.register(
        registration(name, fx.good, {
          files: {
            'model.onnx': fx.good.onnx,
            'reference.csv': new TextEncoder().encode(reference(v)),
          },
        }),
      )
    }
    await fx.registry.promote(name, 1, toProduction)
    const f = follow()
    await f.follower.sync()
    await fx.registry.promote(name, 2, toProduction)
    const digest = (await fx.registry.version(name, 2)).files['reference.csv']?.sha256 as string
    writeFileSync(
      join(fx.artifactsDir, artifactKey(digest)),
      reference(2).replace('training', 'poisoned'),
    )

    expect((await f.sync(name))?.error).toMatch(/is corrupt/)
    expect(readdirSync(join(f.dir, name)).sort()).toEqual(['1', 'config.json'])
    expect(f.served(name)).toEqual(['1'])
    expect(await f.aliases(name)).toEqual({ production: 1 })
    expect(await f.syncs()).toEqual({ ok: 1, error: 1 })
    expect(f.logs).toContainEqual(
      expect.objectContaining({ level: 50, model: name, error: expect.stringMatching(/corrupt/) }),
    )
  })

  it('follows only the models it is given, leaving the rest of its folder alone', async () => {
    // Two model groups on one registry, as a CPU and a GPU group are; penguins, in production
    // for every test of the file, is neither's.
    const [cpu, gpu] = ['cpu-model', 'gpu-model']
    await registered(cpu, 2)
    await registered(gpu, 2)
    const c = follow({ models: [cpu, 'never-registered'] })
    const g = follow({ models: [gpu] })
    // Left by hand, or by a time this group followed the model: not this follower's to touch.
    mkdirSync(join(g.dir, cpu, '1'), { recursive: true })
    writeFileSync(join(g.dir, cpu, '1', 'notes.txt'), 'by hand')

    expect((await c.follower.sync()).map((m) => m.name)).toEqual([cpu])
    expect((await g.follower.sync()).map((m) => m.name)).toEqual([gpu])
    expect(readdirSync(c.dir)).toEqual([cpu])
    expect(readdirSync(g.dir).sort()).toEqual([cpu, gpu])
    expect(readdirSync(join(g.dir, cpu, '1'))).toEqual(['notes.txt'])
    expect([c.served(cpu), c.served(gpu), g.served(gpu)]).toEqual([['1'], [], ['1']])

    // A canary of one group's model reaches that group alone.
    await fx.registry.setAlias(gpu, 'canary', 2, { ...alice, weight: 10 })
    await c.follower.sync()
    expect(await g.sync(gpu)).toMatchObject({ written: [2] })
    expect([c.served(cpu), c.served(gpu), g.served(gpu)]).toEqual([['1'], [], ['2', '1']])
    expect(await c.loads()).toBe(1)
    expect(await c.aliases(gpu)).toEqual({})
    expect(await g.aliases(gpu)).toEqual({ production: 1, canary: 2 })
  })

  it('keeps the version serving when the one the registry names fails to load, and says why', async () => {
    const name = 'broken'
    await registered(name, 2)
    // Version 2's file is damaged on its way to the server (the registry verifies what it sends;
    // a bad disk or a full one can still break what the server reads).
    let damaged = true
    const f = follow({ drainMs: 0 }, () => {
      const file = join(f.dir, name, '2', 'model.onnx')
      if (damaged && existsSync(file)) writeFileSync(file, fx.good.onnx.subarray(0, 40))
    })
    await f.follower.sync()
    await fx.registry.promote(name, 2, toProduction)

    // Drained at once, were 2 ready: kept, sync after sync, while it is not.
    for (let i = 0; i < 3; i++) {
      expect(await f.sync(name)).toMatchObject({ removed: [], kept: [1] })
      expect(f.served(name)).toEqual(['1'])
    }
    expect(readdirSync(join(f.dir, name)).sort()).toEqual(['1', '2', 'config.json'])
    expect(f.repository.index().filter((s) => s.name === name)).toEqual([
      { name, version: '1', state: 'READY', reason: '' },
      { name, version: '2', state: 'UNAVAILABLE', reason: expect.stringMatching(/\S/) },
    ])
    const notReady = f.logs.filter(
      (l) => l.msg === 'registry version not ready; the versions serving go on until it is',
    )
    expect(notReady).toEqual([
      expect.objectContaining({
        model: name,
        kept: [1],
        notReady: [expect.stringMatching(/^production version 2 UNAVAILABLE: /)],
      }),
    ])

    // Once version 2 is whole (the follower rewrites what does not match its digest) and ready,
    // the old one drains.
    damaged = false
    expect(await f.sync(name)).toMatchObject({ written: [2], kept: [1] })
    expect(f.served(name)).toEqual(['2', '1'])
    expect(await f.sync(name)).toMatchObject({ removed: [1] })
    expect(f.served(name)).toEqual(['2'])
  })

  it('loads again what the registry says serves, though it was unloaded through the API', async () => {
    const name = 'restored'
    await registered(name, 1)
    const f = follow()
    await f.follower.sync()
    await f.repository.unload(name)
    expect(f.served(name)).toEqual([])
    await f.follower.sync()
    expect(f.served(name)).toEqual(['1'])
  })

  it('follows on its own once started', async () => {
    const name = 'started'
    await registered(name, 2)
    const f = follow({ intervalMs: 10 })
    f.follower.start()
    await until(() => f.served(name).length > 0)
    await fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 10 })
    await until(() => f.served(name).includes('2'))
    await f.follower.stop()
    expect(f.served(name)).toEqual(['2', '1'])
  })
})
