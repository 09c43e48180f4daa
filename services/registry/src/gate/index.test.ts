import { beforeAll, describe, expect, it } from 'vitest'
import { buildIdentityModel } from '../../../../training/onnx/index.ts'
import { holdoutCsv, type TrainedVersion, trainVersion } from '../testing/index.ts'
import { evaluateGate, type GateInput, type GateVersion } from './index.ts'

const gateVersion = (version: number, t: TrainedVersion): GateVersion => ({
  version,
  config: t.config,
  metrics: t.metrics,
  onnx: t.onnx,
})

describe('the evaluation gate', () => {
  let penguins: { good: TrainedVersion; weak: TrainedVersion; close: TrainedVersion; csv: string }
  let mpg: { good: TrainedVersion; weak: TrainedVersion; csv: string }
  beforeAll(async () => {
    penguins = {
      good: await trainVersion('penguins'),
      weak: await trainVersion('penguins', 1),
      close: await trainVersion('penguins', 3),
      csv: await holdoutCsv('penguins'),
    }
    mpg = {
      good: await trainVersion('mpg'),
      weak: await trainVersion('mpg', 1),
      csv: await holdoutCsv('mpg'),
    }
  })

  const gate = (input: Partial<GateInput> & Pick<GateInput, 'candidate'>) =>
    evaluateGate({
      model: 'penguins',
      holdoutCsv: penguins.csv,
      margin: 0.01,
      actor: 'ci',
      ...input,
    })

  it('scores as training did: the served model gives the training pipeline’s holdout metrics', async () => {
    const report = await gate({ candidate: gateVersion(2, penguins.weak) })
    expect(report.metrics?.candidate).toEqual(penguins.weak.metrics.holdout)
    const regression = await evaluateGate({
      model: 'mpg',
      candidate: gateVersion(1, mpg.good),
      holdoutCsv: mpg.csv,
      margin: 0.01,
      actor: 'ci',
    })
    const trained = mpg.good.metrics.holdout as Record<string, number>
    // onnxruntime computes in float32, training in float64.
    for (const metric of ['rmse', 'mae', 'r2']) {
      expect(regression.metrics?.candidate[metric]).toBeCloseTo(trained[metric] as number, 4)
    }
  })

  it('passes a candidate with nothing in production to compare with', async () => {
    const report = await gate({ candidate: gateVersion(1, penguins.weak) })
    expect(report).toMatchObject({
      passed: true,
      production_version: null,
      checks: [],
      task: 'classification',
      target: 'species',
      holdout: { rows: 67, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      summary: 'no production version to compare version 1 with',
      actor: 'ci',
    })
  })

  it('passes a candidate as good as production on accuracy and F1', async () => {
    const report = await gate({
      candidate: gateVersion(2, penguins.good),
      production: gateVersion(1, penguins.good),
    })
    expect(report.passed).toBe(true)
    expect(report.checks).toEqual([
      {
        metric: 'accuracy',
        better: 'higher',
        candidate: 1,
        production: 1,
        limit: 0.99,
        passed: true,
      },
      {
        metric: 'macro_f1',
        better: 'higher',
        candidate: 1,
        production: 1,
        limit: 0.99,
        passed: true,
      },
    ])
    expect(report.summary).toBe(
      'version 2 is within 1% of production version 1 on accuracy, macro_f1',
    )
  })

  it('fails a worse classifier, naming the metrics and the limits it missed', async () => {
    const report = await gate({
      candidate: gateVersion(3, penguins.weak),
      production: gateVersion(1, penguins.good),
    })
    expect(report.passed).toBe(false)
    expect(report.checks.every((c) => !c.passed)).toBe(true)
    expect(report.summary).toMatch(
      /^version 3 is worse than production version 1 by more than 1%: accuracy 0\.6866 < 0\.99 \(production 1\); macro_f1 0\.5733 < 0\.99/,
    )
  })

  it('applies the margin relative to production', async () => {
    const input = {
      candidate: gateVersion(2, penguins.close),
      production: gateVersion(1, penguins.good),
    }
    // 3 epochs: accuracy 0.94 — more than 1% below production's 1, less than 10%.
    expect((await gate({ ...input, margin: 0.01 })).passed).toBe(false)
    const lenient = await gate({ ...input, margin: 0.1 })
    expect(lenient.passed).toBe(true)
    expect(lenient.checks.map((c) => c.limit)).toEqual([0.9, 0.9])
  })

  it('judges a regression on RMSE and MAE, lower being better', async () => {
    const regression = (candidate: TrainedVersion, production: TrainedVersion, margin = 0.01) =>
      evaluateGate({
        model: 'mpg',
        candidate: gateVersion(2, candidate),
        production: gateVersion(1, production),
        holdoutCsv: mpg.csv,
        margin,
        actor: 'ci',
      })
    const worse = await regression(mpg.weak, mpg.good)
    expect(worse.passed).toBe(false)
    expect(worse.checks.map(({ metric, better, passed }) => ({ metric, better, passed }))).toEqual([
      { metric: 'rmse', better: 'lower', passed: false },
      { metric: 'mae', better: 'lower', passed: false },
    ])
    expect(worse.checks[0]?.limit).toBeCloseTo((worse.checks[0]?.production as number) * 1.01, 10)
    expect((await regression(mpg.good, mpg.weak)).passed).toBe(true)
    expect((await regression(mpg.weak, mpg.good, 0.25)).passed).toBe(true)
  })

  it('names what is wrong with a holdout set it can’t use', async () => {
    const candidate = gateVersion(2, penguins.good)
    const lines = penguins.csv.trim().split('\n')
    const cases: [string, string | RegExp][] = [
      ['', 'the holdout CSV has no rows'],
      [lines[0] as string, 'the holdout CSV has no rows'],
      [
        lines.map((l) => l.replace(/,[^,]*$/, '')).join('\n'),
        "the holdout CSV has no column 'species', the target",
      ],
      [
        lines.map((l) => l.replace(/^[^,]*,/, '')).join('\n'),
        "the holdout CSV has no column 'bill_length_mm', a feature of version 2",
      ],
      [
        [lines[0], lines[1], lines[2]?.replace(/^[^,]*/, 'tall')].join('\n'),
        "holdout line 3: 'bill_length_mm' is 'tall', not a number",
      ],
      [[lines[0], 'a,b'].join('\n'), /does not parse: CSV row has 2 fields/],
    ]
    for (const [csv, message] of cases) {
      await expect(gate({ candidate, holdoutCsv: csv })).rejects.toThrow(message)
    }
    await expect(gate({ candidate, margin: 1 })).rejects.toThrow('margin must be in [0, 1), not 1')
  })

  it('passes on what the inference service says of rows the model can’t take', async () => {
    // An input the gate fills with numbers from the CSV, but which only takes booleans.
    const flags: GateVersion = {
      version: 4,
      config: { task: 'regression', target: 'y', features: { input: ['flag'] } },
      metrics: null,
      onnx: buildIdentityModel({ datatype: 'BOOL', shape: ['batch', 1] }),
    }
    await expect(gate({ candidate: flags, holdoutCsv: 'flag,y\n1,1\n' })).rejects.toThrow(
      /^version 4 can't score the holdout: input 'input'/,
    )
  })

  it('refuses to compare versions that predict different things, or say nothing of what', async () => {
    await expect(
      gate({ candidate: gateVersion(2, penguins.good), production: gateVersion(1, mpg.good) }),
    ).rejects.toThrow(
      "version 2 predicts species (classification), production version 1 mpg (regression): they can't be compared",
    )
    const silent = { ...gateVersion(2, penguins.good), config: {}, metrics: null }
    await expect(gate({ candidate: silent })).rejects.toThrow(
      'version 2 of penguins declares no task (classification or regression) and target column',
    )
    const unlabelled = gateVersion(2, penguins.good)
    unlabelled.config = { ...unlabelled.config, labels: {} }
    await expect(gate({ candidate: unlabelled })).rejects.toThrow(
      'version 2 does not predict class labels: config.json needs labels for its output',
    )
  })
})
