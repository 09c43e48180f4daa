import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startDriftServer } from '../../services/drift/src/adapter/node/index.ts'
import { LocalTrainer } from '../../services/drift/src/retrain/index.ts'
import { startInferenceServer } from '../../services/inference/src/index.ts'
import { buildDemoModels, DEMO_MODELS } from '../../training/demo/index.ts'
import { closeOnSignal, parseCommandArgs, toPort } from '../args.ts'
import { defaultCaptureDir, defaultModelsDir, inferaHome } from '../home.ts'

/** Rows per drift window in the local platform: small, so a demo's traffic shows results soon. */
const WINDOW_ROWS = 500

export async function run(argv: string[]) {
  parseCommandArgs(argv, {})
  const modelsDir = defaultModelsDir()
  const captureDir = defaultCaptureDir()
  if (DEMO_MODELS.some((name) => !existsSync(join(modelsDir, name, '1', 'model.onnx')))) {
    console.log(`building the demo models into ${modelsDir} ...`)
    await buildDemoModels({ outDir: modelsDir })
  }
  const host = process.env.HOST ?? '0.0.0.0'
  const drift = await startDriftServer({
    port: toPort(process.env.DRIFT_PORT, 'DRIFT_PORT') ?? 8081,
    host,
    modelsDir,
    labelledDir: captureDir,
    ...(process.env.DATABASE_URL
      ? { databaseUrl: process.env.DATABASE_URL }
      : { dataDir: join(inferaHome(), 'drift') }),
    window: { kind: 'count', size: WINDOW_ROWS },
    trainer: new LocalTrainer({ modelsDir, captureDir }),
  })
  const inference = await startInferenceServer({
    modelsDir,
    port: toPort(process.env.PORT, 'PORT') ?? 8080,
    host,
    pollIntervalSeconds: 5,
    captureDir,
    captureUrl: drift.url,
    captureSampleRate: 1,
  })
  console.log(`
Infera is running.
  inference (Open Inference Protocol, KServe V1): ${inference.url}
  inference metrics:                              ${inference.url}/metrics
  drift service:                                  ${drift.url}/v1/drift/models
  drift report (after ${WINDOW_ROWS} predictions):          ${drift.url}/v1/drift/penguins/report
  drift metrics:                                  ${drift.url}/metrics
  models:                                         ${modelsDir}
  captured predictions:                           ${captureDir}

Try:
  curl -s ${inference.url}/v1/models/penguins:predict -H 'content-type: application/json' \\
    -d '{"instances":[{"bill_length_mm":39.1,"bill_depth_mm":18.7,"flipper_length_mm":181,"body_mass_g":3750,"island":"Torgersen","sex":"MALE"}]}'
Stop with Ctrl-C.`)
  // Inference first, so its last captured rows still reach the drift service.
  closeOnSignal(async () => {
    await inference.close()
    await drift.close()
  })
}
