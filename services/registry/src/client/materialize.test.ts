import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createInferenceMetrics } from '../../../inference/src/metrics/index.ts'
import { ModelRepository } from '../../../inference/src/repository/index.ts'
import { artifactKey } from '../artifacts/index.ts'
import { registration, tempDir, usePenguinsRegistry } from '../testing/index.ts'
import { materialize } from './materialize.ts'

const fx = usePenguinsRegistry()

const alice = { actor: 'alice' }
const read = (...path: string[]) => readFileSync(join(...path), 'utf8')
const versionDirs = (dir: string) =>
  readdirSync(dir)
    .filter((name) => /^\d+$/.test(name))
    .sort()

/**
 * What the inference service makes of the repository: its ready versions of `name`. Polled twice:
 * polling loads a version only once its files are unchanged since the poll before.
 */
async function served(repo: ModelRepository, name: string) {
  await repo.poll()
  await repo.poll()
  return repo.readyVersions(name).map((m) => m.version)
}

describe('materialize', () => {
  it('writes the versions holding aliases as a repository the inference service serves', async () => {
    const [name, other] = ['penguins', 'unpromoted']
    for (let i = 0; i < 3; i++) await fx.registry.register(registration(name, fx.good))
    await fx.registry.register(registration(other, fx.good))
    await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    const dir = tempDir()
    mkdirSync(join(dir, 'hand-made', '1'), { recursive: true })

    expect(await materialize(fx.registry, dir)).toEqual([
      {
        name,
        versions: [{ version: 1, alias: 'production' }],
        written: [1],
        removed: [],
        kept: [],
        skipped: [],
      },
    ])
    expect(JSON.parse(read(dir, name, 'config.json'))).toEqual({
      ...fx.good.config,
      version_policy: { specific: { versions: [1] } },
    })
    expect(readFileSync(join(dir, name, '1', 'model.onnx'))).toEqual(Buffer.from(fx.good.onnx))
    expect(read(dir, name, '1', 'reference.csv')).toBe(fx.good.reference)
    expect(JSON.parse(read(dir, name, '1', 'metrics.json'))).toEqual(fx.good.metrics)
    // Models without production, and folders the fx.registry doesn't know, are left alone.
    expect(readdirSync(dir).sort()).toEqual(['hand-made', name])

    const repo = new ModelRepository({
      dir,
      metrics: createInferenceMetrics({ processMetrics: false }),
      logger: pino({ level: 'silent' }),
    })
    try {
      await repo.loadAll()
      expect(repo.readyVersions(name).map((m) => m.version)).toEqual(['1'])

      // Rewriting nothing when nothing changed: no reload.
      const before = statSync(join(dir, name, '1', 'model.onnx')).mtimeMs
      expect((await materialize(fx.registry, dir))[0]).toMatchObject({ written: [], removed: [] })
      expect(statSync(join(dir, name, '1', 'model.onnx')).mtimeMs).toBe(before)

      // Production moves to 2, with 3 as canary: both are served, 1 goes.
      await fx.registry.promote(name, 2, { ...alice, to: 'production', holdoutCsv: fx.csv })
      await fx.registry.setAlias(name, 'canary', 3, { ...alice, weight: 10 })
      expect((await materialize(fx.registry, dir))[0]).toEqual({
        name,
        versions: [
          { version: 2, alias: 'production' },
          { version: 3, alias: 'canary' },
        ],
        written: [2, 3],
        removed: [1],
        kept: [],
        skipped: [],
      })
      expect(versionDirs(join(dir, name))).toEqual(['2', '3'])
      expect(await served(repo, name)).toEqual(['3', '2'])

      // Rollback is one materialize away from serving.
      await fx.registry.rollback(name, alice)
      await fx.registry.removeAlias(name, 'canary', alice)
      expect((await materialize(fx.registry, dir))[0]).toMatchObject({
        written: [1],
        removed: [2, 3],
      })
      expect(await served(repo, name)).toEqual(['1'])
    } finally {
      await repo.close()
    }
  })

  it('keeps the versions asked for while their folders are there and their config is production’s', async () => {
    const name = 'draining'
    const force = { ...alice, to: 'production' as const, force: true, reason: 'test' }
    await fx.registry.register(registration(name, fx.good))
    await fx.registry.register(registration(name, fx.good))
    await fx.registry.register(
      registration(name, fx.good, { config: { ...fx.good.config, max_batch_size: 8 } }),
    )
    await fx.registry.promote(name, 1, force)
    const dir = tempDir()
    const materialized = async (keep: number[]) =>
      (await materialize(fx.registry, dir, { keep: { [name]: keep } })).find((m) => m.name === name)
    const policy = () => JSON.parse(read(dir, name, 'config.json')).version_policy
    await materialized([])

    // Production moves on: 1 stays as asked; 3 is asked for too but was never written.
    await fx.registry.promote(name, 2, force)
    expect(await materialized([1, 3])).toMatchObject({
      versions: [{ version: 2, alias: 'production' }],
      written: [2],
      removed: [],
      kept: [1],
    })
    expect(versionDirs(join(dir, name))).toEqual(['1', '2'])
    expect(policy()).toEqual({ specific: { versions: [1, 2] } })

    // Once not asked for, it goes as any version without an alias does.
    expect(await materialized([])).toMatchObject({ written: [], removed: [1], kept: [] })
    expect(policy()).toEqual({ specific: { versions: [2] } })

    // A version configured otherwise than production would be served with production's config.
    await fx.registry.promote(name, 3, force)
    expect(await materialized([2])).toMatchObject({ written: [3], removed: [2], kept: [] })
    expect(versionDirs(join(dir, name))).toEqual(['3'])
  })

  it('leaves out a canary whose config differs from production’s, saying why', async () => {
    const name = 'configured-apart'
    await fx.registry.register(registration(name, fx.good))
    await fx.registry.register(
      registration(name, fx.good, { config: { ...fx.good.config, max_batch_size: 8 } }),
    )
    await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    await fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 5 })
    const dir = tempDir()
    expect((await materialize(fx.registry, dir)).find((m) => m.name === name)).toMatchObject({
      versions: [{ version: 1, alias: 'production' }],
      skipped: [
        {
          version: 2,
          alias: 'canary',
          reason: "its config.json differs from production version 1's",
        },
      ],
    })
    expect(versionDirs(join(dir, name))).toEqual(['1'])
  })

  it('writes nothing of a version whose artifact fails verification, and goes on', async () => {
    const name = 'tampered'
    const reference = 'species\nthe training data of tampered\n'
    await fx.registry.register(
      registration(name, fx.good, {
        files: { 'model.onnx': fx.good.onnx, 'reference.csv': new TextEncoder().encode(reference) },
      }),
    )
    await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    const digest = (await fx.registry.version(name, 1)).files['reference.csv']?.sha256 as string
    writeFileSync(
      join(fx.artifactsDir, artifactKey(digest)),
      reference.replace('training', 'poisoned'),
    )
    const dir = tempDir()
    const results = await materialize(fx.registry, dir)
    expect(results.find((m) => m.name === name)).toMatchObject({
      versions: [],
      error: expect.stringMatching(/^artifact sha256:[0-9a-f]{64} in .* is corrupt/),
    })
    expect(readdirSync(join(dir, name))).toEqual([])
    // The other models were written all the same.
    expect(results.find((m) => m.name === 'penguins')).toMatchObject({ written: [1] })
    expect(existsSync(join(dir, 'penguins', '1', 'model.onnx'))).toBe(true)
  })
})
