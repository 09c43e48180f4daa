import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArtifactError, openRegistry, type Registry } from '../../../registry/src/index.ts'
import { tempDir } from '../../../registry/src/testing/index.ts'
import type { NumericalProfile } from '../profile/index.ts'
import {
  demoRepository,
  inKilograms,
  PENGUIN_FEATURES,
  registerDemoVariant,
  registerDemoVersion,
} from '../testing/index.ts'
import { RegistryReferences, RepositoryReferences } from './index.ts'

let modelsDir: string
let artifactsDir: string
let registry: Registry

const bodyMass = (profile: { columns: Record<string, unknown> } | undefined) =>
  profile?.columns.body_mass_g as NumericalProfile

beforeAll(async () => {
  modelsDir = await demoRepository()
  artifactsDir = tempDir()
  registry = await openRegistry({ dir: artifactsDir })
  await registerDemoVersion(registry, modelsDir)
  // Version 2 learnt from penguins weighed in kilograms, and its reference says so.
  await registerDemoVariant(registry, modelsDir, inKilograms)
  // Version 3 was registered without its training rows.
  await registerDemoVariant(registry, modelsDir, () => undefined)
  // mpg is registered, but nothing of it serves yet.
  await registerDemoVariant(registry, modelsDir, (rows) => rows, 'mpg')
})
afterAll(() => registry.close())

describe('RegistryReferences', () => {
  it("reads production's reference unless told which version, profiled as the repository does", async () => {
    const references = new RegistryReferences(registry)
    const production = await references.load('penguins')
    expect(production).toMatchObject({ model: 'penguins', version: '1', task: 'classification' })
    const fromFolder = await new RepositoryReferences(modelsDir).load('penguins', '1')
    expect({ ...production?.profile, created_at: '' }).toEqual({
      ...fromFolder?.profile,
      created_at: '',
    })
    expect(Object.keys(production?.profile.columns ?? {})).toEqual([
      ...PENGUIN_FEATURES,
      'prediction',
    ])

    const canary = await references.load('penguins', '2')
    expect(canary).toMatchObject({ model: 'penguins', version: '2' })
    expect(bodyMass(production?.profile).min).toBeGreaterThan(2000)
    expect(bodyMass(canary?.profile).max).toBeLessThan(10)
  })

  it('serves the models with a production version, the ones drift should watch', async () => {
    expect(await new RegistryReferences(registry).served()).toEqual(['penguins'])
  })

  it('has none for a model, version or reference.csv the registry lacks', async () => {
    const references = new RegistryReferences(registry)
    expect(await references.load('ghost')).toBeUndefined()
    expect(await references.load('ghost', '1')).toBeUndefined()
    expect(await references.load('penguins', '9')).toBeUndefined()
    expect(await references.load('penguins', 'latest')).toBeUndefined()
    expect(await references.load('penguins', '3')).toBeUndefined()
    expect(await references.load('mpg')).toBeUndefined()
    expect(await references.load('mpg', '1')).toMatchObject({ version: '1', task: 'regression' })
  })

  it('keeps the profiles it built, and lets errors other than a missing version through', async () => {
    const version = await registerDemoVariant(registry, modelsDir, (rows) => rows.slice(0, 100))
    const references = new RegistryReferences(registry)
    const first = await references.load('penguins', String(version))
    expect(first?.profile.rows).toBe(100)
    const { sha256 } = (await registry.version('penguins', version)).files['reference.csv'] as {
      sha256: string
    }
    await rm(join(artifactsDir, 'sha256', sha256.slice(0, 2), sha256))

    expect(await references.load('penguins', String(version))).toBe(first)
    await expect(
      new RegistryReferences(registry).load('penguins', String(version)),
    ).rejects.toBeInstanceOf(ArtifactError)
  })

  it('follows production when it moves', async () => {
    const references = new RegistryReferences(registry)
    expect((await references.load('penguins'))?.version).toBe('1')
    await registry.promote('penguins', 2, {
      to: 'production',
      force: true,
      reason: 'kilograms now',
      actor: 'ci',
    })
    expect((await references.load('penguins'))?.version).toBe('2')
  })
})
