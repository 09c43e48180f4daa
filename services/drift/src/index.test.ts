import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readJson } from '../../inference/src/testing/index.ts'
import { startRegistryServer } from '../../registry/src/adapter/node/index.ts'
import { RegistryClient } from '../../registry/src/index.ts'
import { tempDir } from '../../registry/src/testing/index.ts'
import { credentialFor, generateToken } from '../../shared/credentials/index.ts'
import { LocalTrainer } from './index.ts'
import {
  createTestDriftApp,
  demoRepository,
  inKilograms,
  PENGUIN_FEATURES,
  referenceRows,
  registerDemoVariant,
  registerDemoVersion,
} from './testing/index.ts'

type Penguin = Record<string, unknown>

/** Penguins as the model server captures them for `version`, an hour of traffic per batch. */
const captures = (penguins: Penguin[], version: string, hour: number) =>
  penguins.map((penguin, i) => ({
    ts: new Date(Date.UTC(2026, 0, 1, hour, 0, i)).toISOString(),
    request_id: `v${version}-${hour}-${i}`,
    model: 'penguins',
    version,
    features: Object.fromEntries(PENGUIN_FEATURES.map((f) => [f, penguin[f]])),
    prediction: penguin.species,
  }))

const kilograms = (rows: Penguin[]) =>
  rows.map((p) => ({ ...p, body_mass_g: (p.body_mass_g as number) / 1000 }))

let modelsDir: string
let penguins: Penguin[]
let registryServer: Awaited<ReturnType<typeof startRegistryServer>>
/** Retraining's registry:write token: its name is the audit actor. */
const retrainToken = generateToken()

beforeAll(async () => {
  modelsDir = await demoRepository()
  penguins = referenceRows(modelsDir, 'penguins')
  registryServer = await startRegistryServer({
    port: 0,
    host: '127.0.0.1',
    dir: tempDir(),
    logger: pino({ level: 'silent' }),
    credentials: [await credentialFor('drift-retrain', retrainToken, ['registry:write'])],
  })
  const { registry } = registryServer
  await registerDemoVersion(registry, modelsDir)
  // The canary learnt from penguins weighed in kilograms.
  const canary = await registerDemoVariant(registry, modelsDir, inKilograms)
  await registry.setAlias('penguins', 'canary', canary, { weight: 10, actor: 'ci' })
})
afterAll(() => registryServer.close())

describe('the drift service on the model registry', () => {
  it("watches each served version against that version's reference, read over HTTP", async () => {
    const drift = await createTestDriftApp(undefined, { registryUrl: registryServer.url })
    const batches = [
      captures(penguins.slice(0, 100), '1', 0),
      captures(kilograms(penguins.slice(100, 200)), '2', 1),
      // Kilograms are new to version 1.
      captures(kilograms(penguins.slice(100, 200)), '1', 2),
    ]
    for (const batch of batches) {
      expect((await drift.post('/v1/drift/penguins/records', batch)).status).toBe(202)
    }
    await drift.service.idle()

    const evaluations = (await drift.store.history('penguins')).sort((a, b) =>
      a.window.start.localeCompare(b.window.start),
    )
    expect(
      evaluations.map((e) => [e.version, e.reference_rows, e.drift.features.body_mass_g?.drifted]),
    ).toEqual([
      ['1', 266, false],
      ['2', 266, false],
      ['1', 266, true],
    ])
    const { body } = await readJson(await drift.app.request('/v1/drift/models'))
    expect(body.models.map((m: { version: string }) => m.version).sort()).toEqual(['1', '2'])
    await drift.service.close()
  })

  it('registers the version retraining makes as a candidate, into the canary when it passes the gate', async () => {
    const registry = new RegistryClient(registryServer.url, { token: retrainToken })
    const labelledDir = tempDir()
    const drift = await createTestDriftApp(undefined, {
      registry,
      labelledDir,
      trainer: new LocalTrainer({
        registry,
        captureDir: labelledDir,
        promotion: { canaryWeight: 20 },
      }),
      retrain: { consecutiveWindows: 2, cooldownMs: 60_000 },
      // One feature of seven drifting is enough to retrain here.
      drift: { driftShare: 0.1 },
    })
    // Penguins now come weighed in kilograms, and their labels come back.
    const first = captures(kilograms(penguins.slice(0, 100)), '1', 3)
    expect((await drift.post('/v1/drift/penguins/records', first)).status).toBe(202)
    const labels = first.map((r) => ({ request_id: r.request_id, label: r.prediction }))
    expect((await drift.post('/v1/drift/penguins/labels', labels)).status).toBe(200)
    await drift.service.idle()
    const second = captures(kilograms(penguins.slice(100, 200)), '1', 4)
    expect((await drift.post('/v1/drift/penguins/records', second)).status).toBe(202)
    await drift.service.idle()

    const { body } = await readJson(await drift.app.request('/v1/drift/penguins/retrain-jobs'))
    expect(body.jobs).toMatchObject([
      {
        trainer: 'local',
        status: 'completed',
        version: '1',
        details: {
          version: '3',
          stage: 'candidate',
          gate: 'passed',
          promoted: true,
          canary_weight: 20,
        },
      },
    ])
    expect((await registry.show('penguins')).aliases).toMatchObject({
      production: { version: 1 },
      canary: { version: 3, weight: 20 },
    })
    const metrics = await (await drift.app.request('/metrics')).text()
    expect(metrics).toContain(
      'infera_drift_retrain_candidates_total{model="penguins",gate="passed"} 1',
    )
    await drift.service.close()
  })

  it('asks the registry again for a reference it could not read', async () => {
    // The registry is down when the first captures come: its port is taken back for now.
    const later = await startRegistryServer({
      port: 0,
      host: '127.0.0.1',
      dir: tempDir(),
      logger: pino({ level: 'silent' }),
    })
    await later.close()
    const drift = await createTestDriftApp(undefined, { registryUrl: later.url })
    const batch = captures(penguins.slice(0, 10), '1', 5)
    expect((await drift.post('/v1/drift/penguins/records', batch)).status).toBe(503)

    const registry = await startRegistryServer({
      port: later.port,
      host: '127.0.0.1',
      dir: tempDir(),
      logger: pino({ level: 'silent' }),
    })
    try {
      await registerDemoVersion(registry.registry, modelsDir)
      expect((await drift.post('/v1/drift/penguins/records', batch)).status).toBe(202)
    } finally {
      await drift.service.close()
      await registry.close()
    }
  })
})
