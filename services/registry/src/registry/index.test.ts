import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildMlp, GraphBuilder } from '../../../../training/onnx/index.ts'
import { ArtifactError, artifactKey } from '../artifacts/index.ts'
import {
  registration,
  type TrainedVersion,
  tempDir,
  usePenguinsRegistry,
  writeVersionFolder,
} from '../testing/index.ts'
import { type ModelView, RegistryError, readVersionFolder } from './index.ts'

const fx = usePenguinsRegistry()

let models = 0
// Every test registers models of its own in the shared registry.
const newModel = () => `penguins-${++models}`
const alice = { actor: 'alice' }

/** Rejects with a RegistryError of `status` whose message matches. */
async function refused(work: Promise<unknown>, status: number, message: string | RegExp) {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RegistryError)
  expect((error as RegistryError).status).toBe(status)
  expect((error as RegistryError).message).toMatch(message)
  return error as RegistryError
}

/** A model with versions 1 (fx.good) and 2.. registered, 1 in production. */
async function withProduction(...more: TrainedVersion[]) {
  const name = newModel()
  await fx.registry.register(registration(name, fx.good))
  for (const t of more) await fx.registry.register(registration(name, t))
  await fx.registry.promote(name, 1, { ...alice, to: 'production' })
  return name
}

const production = async (name: string) => (await fx.registry.show(name)).aliases.production

describe('registering', () => {
  it('keeps the files by digest, the config, metrics and lineage, and audits it', async () => {
    const name = newModel()
    const detail = await fx.registry.register(
      registration(name, fx.good, {
        reason: 'weekly retrain',
        lineage: {
          data_location: 's3://data/penguins.csv',
          code_version: 'abc123',
          training_job: 'job-7',
        },
      }),
    )
    expect(detail).toMatchObject({
      model: name,
      version: 1,
      stage: 'candidate',
      aliases: [],
      config: fx.good.config,
      metrics: fx.good.metrics,
      lineage: {
        data_location: 's3://data/penguins.csv',
        code_version: 'abc123',
        training_job: 'job-7',
      },
      created_by: 'alice',
      gate_reports: [],
    })
    expect(detail.files['model.onnx']).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: fx.good.onnx.byteLength,
    })
    expect(await fx.registry.file(name, 1, 'model.onnx')).toEqual(fx.good.onnx)
    expect(new TextDecoder().decode(await fx.registry.file(name, 1, 'reference.csv'))).toBe(
      fx.good.reference,
    )
    const [entry] = (await fx.registry.show(name)).audit
    expect(entry).toMatchObject({
      action: 'register',
      version: 1,
      to_stage: 'candidate',
      actor: 'alice',
      reason: 'weekly retrain',
      details: { files: { 'model.onnx': detail.files['model.onnx']?.sha256 } },
    })
    expect(Date.parse(entry?.at ?? '')).toBeGreaterThan(Date.now() - 60_000)
  })

  it('numbers versions, or takes the one given, and never registers one twice', async () => {
    const name = newModel()
    expect((await fx.registry.register(registration(name, fx.good))).version).toBe(1)
    expect(
      (await fx.registry.register(registration(name, fx.weak, { version: 7, stage: 'staging' })))
        .stage,
    ).toBe('staging')
    expect((await fx.registry.register(registration(name, fx.good))).version).toBe(8)
    await refused(
      fx.registry.register(registration(name, fx.good, { version: 7 })),
      409,
      'version 7 of',
    )
    expect((await fx.registry.show(name)).versions.map((v) => v.version)).toEqual([1, 7, 8])
  })

  it('refuses what the inference service could not serve, naming the problem', async () => {
    const name = newModel()
    const cases: [Partial<Parameters<typeof registration>[2]>, string | RegExp][] = [
      [
        { config: { ...fx.good.config, max_batch_size: -1 } },
        /config\.json is invalid: max_batch_size/,
      ],
      [{ config: { ...fx.good.config, colour: 'blue' } }, /Unrecognized key: "colour"/],
      [
        { config: { ...fx.good.config, labels: { probabilities: ['a', 'b'] } } },
        "does not load: config.json labels: output 'probabilities' has 3 classes, not 2",
      ],
      [{ files: { 'model.onnx': new TextEncoder().encode('not onnx') } }, /does not load/],
      [
        { files: { 'model.onnx': new Uint8Array() } },
        'model.onnx is required and must not be empty',
      ],
      [{ name: '../escape' }, "model name '../escape' must be 1–128 letters"],
      [{ version: 0 }, 'version must be a whole number from 1'],
      [{ actor: ' ' }, 'actor must be 1–200 characters'],
      [{ stage: 'archived' as 'staging' }, 'registered as candidate or staging, not archived'],
    ]
    for (const [change, message] of cases) {
      await refused(fx.registry.register(registration(name, fx.good, change)), 400, message)
    }
    await refused(fx.registry.show(name), 404, `no model named '${name}'`)
  })

  it('reads a version folder as training writes it', async () => {
    const dir = tempDir()
    const folder = await readVersionFolder(writeVersionFolder(dir, 'penguins', 3, fx.good))
    expect(folder).toEqual({
      files: {
        'model.onnx': Buffer.from(fx.good.onnx),
        'reference.csv': Buffer.from(fx.good.reference),
      },
      config: fx.good.config,
      metrics: fx.good.metrics,
    })
    writeFileSync(join(dir, 'penguins', '3', 'metrics.json'), '{"accuracy":')
    await refused(readVersionFolder(join(dir, 'penguins', '3')), 400, /metrics\.json is not JSON/)
    await refused(readVersionFolder(join(dir, 'penguins')), 400, /has no model\.onnx/)
  })

  it('needs no config.json: the defaults, with inputs and outputs read from the graph', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'model.onnx'), rawModel())
    const folder = await readVersionFolder(dir)
    expect(folder).toEqual({
      files: { 'model.onnx': Buffer.from(rawModel()) },
      config: {},
      metrics: null,
    })
    const name = newModel()
    const detail = await fx.registry.register({ name, ...folder, actor: 'alice' })
    expect(detail).toMatchObject({ version: 1, config: {}, stage: 'candidate' })
  })
})

/** A model of raw tensors, as a framework exports one: FP32 input [batch, 4] to output [batch, 3]. */
const rawModel = ({ inputSize = 4, seed = 1 } = {}) =>
  buildMlp({ inputSize, hidden: [8], outputSize: 3, seed, softmax: false })

/** One that answers NaN or infinity: the log of its input, which a sample of zeros makes -∞. */
function logModel() {
  const g = new GraphBuilder('log')
  g.output('output', 'FP32', ['batch', 4], g.op('Log', [g.input('input', 'FP32', ['batch', 4])]))
  return g.serialize()
}

const rawRegistration = (name: string, onnx: Uint8Array) => ({
  name,
  files: { 'model.onnx': onnx },
  config: {},
  actor: 'alice',
})

describe('promoting a model of raw tensors (no task, no holdout)', () => {
  it('checks that the first version loads and answers a sample of its shapes', async () => {
    const name = newModel()
    await fx.registry.register(rawRegistration(name, rawModel()))
    const { gate } = await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    expect(gate).toMatchObject({
      passed: true,
      forced: false,
      task: null,
      holdout: null,
      sample: {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }],
        sample: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
        problem: null,
      },
    })
    expect(gate?.summary).toBe(
      `no production version: version 1 of ${name} is the first; it loads and answers a sample of zeros`,
    )
  })

  it('promotes a later version that answers with production’s inputs and outputs, without --force', async () => {
    const name = newModel()
    await fx.registry.register(rawRegistration(name, rawModel()))
    await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    await fx.registry.register(rawRegistration(name, rawModel({ seed: 2 })))
    const { gate, audit } = await fx.registry.promote(name, 2, { ...alice, to: 'production' })
    expect(gate).toMatchObject({ passed: true, forced: false, production_version: 1 })
    expect(gate?.summary).toMatch(
      /declares no task to score; .* with production version 1's inputs/,
    )
    expect(audit.at(-1)).toMatchObject({ action: 'promote', to_version: 2, from_version: 1 })
  })

  it('refuses, keeping the report, a version that answers NaN or changes the interface', async () => {
    const name = newModel()
    await fx.registry.register(rawRegistration(name, rawModel()))
    await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    await fx.registry.register(rawRegistration(name, logModel()))
    await fx.registry.register(rawRegistration(name, rawModel({ inputSize: 5 })))
    await refused(
      fx.registry.promote(name, 2, { ...alice, to: 'production' }),
      409,
      "output 'output' has -Infinity at element 0 for a sample of zeros (force, with a reason",
    )
    await refused(
      fx.registry.promote(name, 3, { ...alice, to: 'production' }),
      409,
      "its inputs (input FP32[-1,5]) are not production's (input FP32[-1,4])",
    )
    expect((await fx.registry.version(name, 3)).gate_reports).toMatchObject([
      { passed: false, report: { sample: { problem: expect.stringContaining('inputs') } } },
    ])
    expect((await production(name))?.version).toBe(1)
    // The owner may still decide otherwise, on the record.
    const forced = { ...alice, to: 'production' as const, force: true, reason: 'new interface' }
    expect((await fx.registry.promote(name, 3, forced)).gate).toMatchObject({ forced: true })
  })

  it('still asks for a holdout when either side declares a task', async () => {
    const name = await withProduction()
    await fx.registry.register(rawRegistration(name, rawModel()))
    await refused(
      fx.registry.promote(name, 2, { ...alice, to: 'production' }),
      400,
      'promoting to production needs a holdout CSV to score version 2',
    )
  })
})

describe('promoting', () => {
  it('moves a candidate to staging, once', async () => {
    const name = newModel()
    await fx.registry.register(registration(name, fx.good))
    const result = await fx.registry.promote(name, 1, { ...alice, to: 'staging', reason: 'QA' })
    expect(result.audit).toMatchObject([
      { action: 'promote', version: 1, from_stage: 'candidate', to_stage: 'staging', reason: 'QA' },
    ])
    expect(result.gate).toBeNull()
    await refused(
      fx.registry.promote(name, 1, { ...alice, to: 'staging' }),
      409,
      'already in staging',
    )
    await refused(
      fx.registry.promote(name, 9, { ...alice, to: 'staging' }),
      404,
      `no version 9 of ${name}`,
    )
  })

  it('makes the first production version without a holdout, and keeps the gate’s report', async () => {
    const name = newModel()
    await fx.registry.register(registration(name, fx.good))
    const result = await fx.registry.promote(name, 1, {
      ...alice,
      to: 'production',
      reason: 'launch',
    })
    expect(result.gate).toMatchObject({ passed: true, production_version: null, holdout: null })
    expect(result.audit).toMatchObject([
      {
        action: 'promote',
        alias: 'production',
        from_version: null,
        to_version: 1,
        to_stage: 'production',
      },
    ])
    const v1 = await fx.registry.version(name, 1)
    expect(v1).toMatchObject({ stage: 'production', aliases: ['production'] })
    expect(v1.gate_reports).toMatchObject([{ passed: true, report: result.gate }])
    await refused(
      fx.registry.promote(name, 1, { ...alice, to: 'production' }),
      409,
      'already holds production',
    )
    await refused(
      fx.registry.promote(name, 1, { ...alice, to: 'staging' }),
      409,
      'already holds production',
    )
  })

  it('moves production to a candidate that passes the gate, remembering the version before', async () => {
    const name = await withProduction(fx.good)
    const result = await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
    })
    expect(result.gate).toMatchObject({
      passed: true,
      production_version: 1,
      forced: false,
      actor: 'alice',
    })
    expect(result.audit[0]).toMatchObject({
      from_version: 1,
      to_version: 2,
      details: { gate_passed: true },
    })
    const model = await fx.registry.show(name)
    expect(model.aliases.production).toMatchObject({ version: 2, previous_version: 1 })
    // Exactly one version is production.
    expect(model.versions.map((v) => [v.version, v.stage])).toEqual([
      [1, 'candidate'],
      [2, 'production'],
    ])
  })

  it('refuses a worse candidate, keeps the report with it and leaves production alone', async () => {
    const name = await withProduction(fx.weak)
    const error = await refused(
      fx.registry.promote(name, 2, { ...alice, to: 'production', holdoutCsv: fx.csv }),
      409,
      /^the gate refused: version 2 is worse than production version 1 by more than 1%: accuracy/,
    )
    expect(error.details.gate).toMatchObject({
      passed: false,
      candidate_version: 2,
      production_version: 1,
    })
    expect((await fx.registry.version(name, 2)).gate_reports).toMatchObject([
      { passed: false, report: error.details.gate },
    ])
    expect(await production(name)).toMatchObject({ version: 1 })
    expect((await fx.registry.show(name)).audit.map((e) => e.action)).toEqual([
      'register',
      'register',
      'promote',
    ])
    // A wider margin lets it through.
    const lenient = await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      margin: 0.5,
    })
    expect(lenient.gate?.passed).toBe(true)
  })

  it('promotes without the gate’s approval only when forced, with a reason', async () => {
    const name = await withProduction(fx.weak)
    await refused(
      fx.registry.promote(name, 2, { ...alice, to: 'production' }),
      400,
      'promoting to production needs a holdout CSV to score version 2',
    )
    await refused(
      fx.registry.promote(name, 2, { ...alice, to: 'production', force: true }),
      400,
      'a forced promotion needs a reason',
    )
    const forced = await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      force: true,
      reason: 'hotfix: v1 leaks PII',
    })
    expect(forced.gate).toMatchObject({ passed: false, forced: true })
    expect(forced.audit[0]).toMatchObject({
      reason: 'hotfix: v1 leaks PII',
      details: { forced: true },
    })
    expect(await production(name)).toMatchObject({ version: 2, previous_version: 1 })
  })

  it('refuses a promotion whose comparison went stale while its gate ran', async () => {
    const name = await withProduction(fx.good, fx.good)
    // The gate loads and scores two models; the forced promotion needs none of that.
    const [gated, forced] = await Promise.allSettled([
      fx.registry.promote(name, 2, { ...alice, to: 'production', holdoutCsv: fx.csv }),
      fx.registry.promote(name, 3, { ...alice, to: 'production', force: true, reason: 'hotfix' }),
    ])
    expect(forced.status).toBe('fulfilled')
    expect(gated).toMatchObject({
      status: 'rejected',
      reason: {
        status: 409,
        message: `production of ${name} moved to version 3 while the gate ran; promote again`,
      },
    })
    expect(await production(name)).toMatchObject({ version: 3, previous_version: 1 })
  })

  it('passes a holdout the gate can’t use back as a 400', async () => {
    const name = await withProduction(fx.good)
    await refused(
      fx.registry.promote(name, 2, { ...alice, to: 'production', holdoutCsv: 'a,b\n1,2\n' }),
      400,
      "the holdout CSV has no column 'species'",
    )
  })
})

describe('rolling back', () => {
  it('gives production back to the version before, in one audited step', async () => {
    const name = await withProduction(fx.good)
    await fx.registry.promote(name, 2, { ...alice, to: 'production', holdoutCsv: fx.csv })
    const result = await fx.registry.rollback(name, { actor: 'bob', reason: 'p99 latency doubled' })
    expect(result.audit).toMatchObject([
      {
        action: 'rollback',
        alias: 'production',
        from_version: 2,
        to_version: 1,
        actor: 'bob',
        reason: 'p99 latency doubled',
      },
    ])
    expect(await production(name)).toMatchObject({ version: 1, previous_version: null })
    await refused(fx.registry.rollback(name, alice), 409, 'nothing to roll back to')
  })

  it('refuses without a production version, or when the one before was archived', async () => {
    const name = newModel()
    await fx.registry.register(registration(name, fx.good))
    await refused(
      fx.registry.rollback(name, alice),
      409,
      `${name} has no production version to roll back`,
    )
    await refused(fx.registry.rollback('nobody', alice), 404, "no model named 'nobody'")
    await fx.registry.register(registration(name, fx.good))
    await fx.registry.promote(name, 1, { ...alice, to: 'production' })
    await fx.registry.promote(name, 2, { ...alice, to: 'production', holdoutCsv: fx.csv })
    await fx.registry.archive(name, 1, alice)
    await refused(
      fx.registry.rollback(name, alice),
      409,
      'production before, has been archived since',
    )
  })
})

describe('archiving', () => {
  it('retires a version for good: it can’t be promoted again', async () => {
    const name = await withProduction(fx.weak)
    await refused(
      fx.registry.archive(name, 1, alice),
      409,
      'holds the production alias: promote another',
    )
    const result = await fx.registry.archive(name, 2, { actor: 'alice', reason: 'superseded' })
    expect(result.audit).toMatchObject([
      { action: 'archive', version: 2, from_stage: 'candidate', to_stage: 'archived' },
    ])
    expect((await fx.registry.version(name, 2)).stage).toBe('archived')
    await refused(fx.registry.archive(name, 2, alice), 409, 'already archived')
    for (const to of ['staging', 'production'] as const) {
      await refused(
        fx.registry.promote(name, 2, { ...alice, to, holdoutCsv: fx.csv }),
        409,
        "archived version can't be promoted",
      )
    }
    await refused(fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 5 }), 409, 'archived')
  })
})

describe('the canary alias', () => {
  it('points at a version with a traffic weight, and leaves when that version takes production', async () => {
    const name = await withProduction(fx.good, fx.good)
    const set = await fx.registry.setAlias(name, 'canary', 2, {
      ...alice,
      weight: 10,
      reason: 'try it',
    })
    expect(set.audit).toMatchObject([
      {
        action: 'set_alias',
        alias: 'canary',
        from_version: null,
        to_version: 2,
        details: { weight: 10 },
      },
    ])
    const moved = await fx.registry.setAlias(name, 'canary', 3, { ...alice, weight: 25 })
    expect(moved.audit[0]).toMatchObject({ from_version: 2, to_version: 3 })
    expect((await fx.registry.show(name)).aliases.canary).toMatchObject({
      version: 3,
      weight: 25,
      previous_version: 2,
    })
    expect((await fx.registry.version(name, 3)).aliases).toEqual(['canary'])
    await refused(
      fx.registry.archive(name, 3, alice),
      409,
      'holds the canary alias: remove the alias first',
    )
    await refused(
      fx.registry.setAlias(name, 'canary', 1, { ...alice, weight: 5 }),
      409,
      'already holds production',
    )
    await refused(
      fx.registry.setAlias(name, 'canary', 3, { ...alice, weight: 101 }),
      400,
      'percentage from 0 to 100',
    )

    const promoted = await fx.registry.promote(name, 3, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
    })
    expect(promoted.audit.map((e) => [e.action, e.alias])).toEqual([
      ['remove_alias', 'canary'],
      ['promote', 'production'],
    ])
    expect((await fx.registry.show(name)).aliases).toEqual({
      production: expect.objectContaining({ version: 3 }),
    })
    await refused(fx.registry.removeAlias(name, 'canary', alice), 409, 'has no canary alias')
    await fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 1 })
    // A removal decided on another canary version leaves this one in place.
    await refused(
      fx.registry.removeAlias(name, 'canary', { ...alice, version: 4 }),
      409,
      'is version 2 now, not 4: nothing removed',
    )
    expect((await fx.registry.show(name)).aliases.canary).toMatchObject({ version: 2 })
    expect(
      (await fx.registry.removeAlias(name, 'canary', { ...alice, version: 2 })).audit,
    ).toMatchObject([{ action: 'remove_alias', from_version: 2 }])
  })
})

describe('promoting through a canary', () => {
  const canary = (weight: number) => ({ weight })

  it('gives a version that passes the gate the canary alias, leaving production where it is', async () => {
    const name = await withProduction(fx.good, fx.good)
    await fx.registry.setAlias(name, 'canary', 3, { ...alice, weight: 5 })
    const result = await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      canary: canary(10),
      reason: 'weekly retrain',
    })
    expect(result.gate).toMatchObject({ passed: true, production_version: 1, candidate_version: 2 })
    const [report] = (await fx.registry.version(name, 2)).gate_reports
    expect(report).toMatchObject({ passed: true, report: result.gate })
    expect(result.audit).toEqual([
      expect.objectContaining({
        action: 'set_alias',
        alias: 'canary',
        version: 2,
        from_version: 3,
        to_version: 2,
        reason: 'weekly retrain',
        details: { gate_report: report?.id, gate_passed: true, forced: false, weight: 10 },
      }),
    ])
    const { aliases } = await fx.registry.show(name)
    expect(aliases.production).toMatchObject({ version: 1, previous_version: null })
    expect(aliases.canary).toMatchObject({ version: 2, weight: 10, previous_version: 3 })
  })

  it('promotes a canary on its passed gate only while it still holds the canary, with onlyIfCanary', async () => {
    const name = await withProduction(fx.good, fx.good)
    await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      canary: canary(10),
    })
    // Replaced by another canary after the verdict on version 2 was taken.
    await fx.registry.setAlias(name, 'canary', 3, { ...alice, weight: 10 })
    const promotion = { ...alice, to: 'production' as const, onlyIfCanary: true }
    await refused(fx.registry.promote(name, 2, promotion), 409, 'no longer holds the canary')
    expect(await production(name)).toMatchObject({ version: 1 })
    await fx.registry.setAlias(name, 'canary', 2, { ...alice, weight: 10 })
    const promoted = await fx.registry.promote(name, 2, promotion)
    expect(promoted.audit.map((e) => e.action)).toEqual(['remove_alias', 'promote'])
    expect(await production(name)).toMatchObject({ version: 2 })
  })

  it('refuses a worse version as a production promotion does, keeping the report', async () => {
    const name = await withProduction(fx.weak)
    const error = await refused(
      fx.registry.promote(name, 2, {
        ...alice,
        to: 'production',
        holdoutCsv: fx.csv,
        canary: canary(10),
      }),
      409,
      /^the gate refused: version 2 is worse than production version 1/,
    )
    expect((await fx.registry.version(name, 2)).gate_reports).toMatchObject([
      { passed: false, report: error.details.gate },
    ])
    expect((await fx.registry.show(name)).aliases.canary).toBeUndefined()
    const forced = await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      canary: canary(1),
      force: true,
      reason: 'see how it does live',
    })
    expect(forced.audit[0]).toMatchObject({
      action: 'set_alias',
      details: { gate_passed: false, forced: true, weight: 1 },
    })
    expect(await production(name)).toMatchObject({ version: 1 })
  })

  it('answers 400 naming a canary it can’t take, and 409 without production to run beside', async () => {
    const name = await withProduction(fx.good)
    const cases: [Parameters<typeof fx.registry.promote>[2], string][] = [
      [
        { ...alice, to: 'staging', canary: canary(10) },
        'canary is a way to promote to production, not to staging',
      ],
      ...[0, 100, -5, Number.NaN].map(
        (weight): [Parameters<typeof fx.registry.promote>[2], string] => [
          { ...alice, to: 'production', holdoutCsv: fx.csv, canary: canary(weight) },
          `canary.weight is a percentage above 0 and below 100, not ${weight}`,
        ],
      ),
    ]
    for (const [options, message] of cases) {
      await refused(fx.registry.promote(name, 2, options), 400, message)
    }
    const fresh = newModel()
    await fx.registry.register(registration(fresh, fx.good))
    await refused(
      fx.registry.promote(fresh, 1, { ...alice, to: 'production', canary: canary(10) }),
      409,
      `${fresh} has no production version for a canary to run beside`,
    )
    expect((await fx.registry.show(name)).audit.map((e) => e.action)).toEqual([
      'register',
      'register',
      'promote',
    ])
  })

  it('promotes a canary whose gate passed without a new holdout, reusing its report', async () => {
    const name = await withProduction(fx.good)
    await fx.registry.promote(name, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      canary: canary(10),
    })
    const [report] = (await fx.registry.version(name, 2)).gate_reports
    const result = await fx.registry.promote(name, 2, {
      actor: 'canary-controller',
      to: 'production',
      reason: 'within the SLO',
    })
    expect(result.gate).toEqual(report?.report)
    expect(result.audit).toMatchObject([
      { action: 'remove_alias', alias: 'canary', version: 2 },
      {
        action: 'promote',
        from_version: 1,
        to_version: 2,
        actor: 'canary-controller',
        details: { gate_report: report?.id, gate_passed: true, forced: false, reused: true },
      },
    ])
    // Nothing was evaluated again.
    expect((await fx.registry.version(name, 2)).gate_reports).toHaveLength(1)
    expect((await fx.registry.show(name)).aliases).toEqual({
      production: expect.objectContaining({ version: 2, previous_version: 1 }),
    })
  })

  it('asks for a holdout when no passed report compares the version with today’s production', async () => {
    const needsHoldout = 'promoting to production needs a holdout CSV to score version 2'
    // Passed against production version 1, which has been replaced since.
    const moved = await withProduction(fx.good, fx.good)
    await fx.registry.promote(moved, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      canary: canary(10),
    })
    await fx.registry.promote(moved, 3, { ...alice, to: 'production', holdoutCsv: fx.csv })
    await refused(fx.registry.promote(moved, 2, { ...alice, to: 'production' }), 400, needsHoldout)

    // Let through by force only.
    const forced = await withProduction(fx.weak)
    await fx.registry.promote(forced, 2, {
      ...alice,
      to: 'production',
      canary: canary(10),
      force: true,
      reason: 'try it live',
    })
    await refused(fx.registry.promote(forced, 2, { ...alice, to: 'production' }), 400, needsHoldout)

    // Passed once, then refused on a later evaluation: the latest one counts.
    const refusedLater = await withProduction(fx.weak)
    await fx.registry.promote(refusedLater, 2, {
      ...alice,
      to: 'production',
      holdoutCsv: fx.csv,
      margin: 0.5,
      canary: canary(10),
    })
    await refused(
      fx.registry.promote(refusedLater, 2, { ...alice, to: 'production', holdoutCsv: fx.csv }),
      409,
      'the gate refused',
    )
    await refused(
      fx.registry.promote(refusedLater, 2, { ...alice, to: 'production' }),
      400,
      needsHoldout,
    )
    expect(await production(refusedLater)).toMatchObject({ version: 1 })
  })
})

describe('diff', () => {
  it('shows what changed in config, metrics, lineage and files between two versions', async () => {
    const name = newModel()
    await fx.registry.register(registration(name, fx.good, { lineage: { code_version: 'abc' } }))
    await fx.registry.register(
      registration(name, fx.weak, {
        config: { ...fx.good.config, max_batch_size: 32 },
        lineage: { code_version: 'def', training_job: 'job-2' },
      }),
    )
    const diff = await fx.registry.diff(name, 1, 2)
    expect(diff).toMatchObject({
      model: name,
      from: 1,
      to: 2,
      stage: { from: 'candidate', to: 'candidate' },
    })
    expect(diff.config).toEqual([{ path: 'max_batch_size', from: 64, to: 32, delta: -32 }])
    expect(diff.lineage).toEqual([
      { path: 'code_version', from: 'abc', to: 'def' },
      { path: 'training_job', from: null, to: 'job-2' },
    ])
    const accuracy = diff.metrics.find((c) => c.path === 'holdout.accuracy')
    expect(accuracy).toMatchObject({
      from: 1,
      to: fx.weak.metrics.holdout && (fx.weak.metrics.holdout as { accuracy: number }).accuracy,
    })
    expect(accuracy?.delta).toBeCloseTo(-0.3134, 3)
    expect(diff.files['model.onnx']?.changed).toBe(true)
    expect(diff.files['reference.csv']?.changed).toBe(false)
    expect((await fx.registry.diff(name, 1, 1)).config).toEqual([])
    await refused(fx.registry.diff(name, 1, 3), 404, `no version 3 of ${name}`)
  })
})

describe('files', () => {
  it('never hands out an artifact that is not what was registered', async () => {
    const name = newModel()
    const detail = await fx.registry.register(registration(name, fx.good))
    const digest = detail.files['model.onnx']?.sha256 as string
    writeFileSync(join(fx.artifactsDir, artifactKey(digest)), fx.good.onnx.subarray(0, 100))
    await expect(fx.registry.file(name, 1, 'model.onnx')).rejects.toThrow(ArtifactError)
    await expect(fx.registry.file(name, 1, 'model.onnx')).rejects.toThrow('(truncated)')
    await refused(
      fx.registry.file(name, 1, 'weights.bin'),
      404,
      "has no file 'weights.bin'; it has model.onnx, reference.csv",
    )
    await refused(fx.registry.file(name, 1, 'constructor'), 404, "has no file 'constructor'")
    // Registering the same bytes again repairs the object.
    await fx.registry.register(registration(name, fx.good))
    expect(await fx.registry.file(name, 1, 'model.onnx')).toEqual(fx.good.onnx)
    expect(readdirSync(join(fx.artifactsDir, 'sha256', digest.slice(0, 2)))).toContain(digest)
  })
})

describe('list', () => {
  it('gives every model with its versions, aliases and audit trail', async () => {
    const name = await withProduction(fx.good)
    const models = await fx.registry.list()
    const model = models.find((m) => m.name === name) as ModelView
    expect(model).toEqual(await fx.registry.show(name))
    expect(model.audit.map((e) => e.action)).toEqual(['register', 'register', 'promote'])
    expect(models.map((m) => m.name)).toEqual([...models.map((m) => m.name)].sort())
  })
})
