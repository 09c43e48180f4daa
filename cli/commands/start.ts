import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startDriftServer } from '../../services/drift/src/adapter/node/index.ts'
import { LocalTrainer } from '../../services/drift/src/retrain/index.ts'
import { startGatewayServer } from '../../services/gateway/adapter/node/index.ts'
import { hashApiKey } from '../../services/gateway/src/auth/index.ts'
import { validateGatewayConfig } from '../../services/gateway/src/index.ts'
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
  // Inference listens on loopback only: clients go through the gateway.
  const inference = await startInferenceServer({
    modelsDir,
    port: toPort(process.env.INFERENCE_PORT, 'INFERENCE_PORT') ?? 8082,
    host: '127.0.0.1',
    pollIntervalSeconds: 5,
    captureDir,
    captureUrl: drift.url,
    captureSampleRate: 1,
  })
  const apiKey = process.env.INFERA_DEV_API_KEY ?? `infera-dev-${randomBytes(12).toString('hex')}`
  const gateway = await startGatewayServer({
    config: validateGatewayConfig(
      {
        routes: [
          { model: '*', variants: [{ name: 'local', weight: 100, targets: [inference.url] }] },
        ],
        auth: { api_keys: [{ tenant: 'dev', sha256: await hashApiKey(apiKey), models: ['*'] }] },
        rate_limits: { default: { rate: 10_000, burst: 20_000 } },
      },
      'the local gateway config',
    ),
    port: toPort(process.env.PORT, 'PORT') ?? 8080,
    host,
  })
  console.log(`
Infera is running.
  gateway (Open Inference Protocol, KServe V1):   ${gateway.url}
  development API key:                            ${apiKey}
  gateway metrics:                                ${gateway.url}/metrics
  inference (loopback, behind the gateway):       ${inference.url}
  drift service:                                  ${drift.url}/v1/drift/models
  drift report (after ${WINDOW_ROWS} predictions):          ${drift.url}/v1/drift/penguins/report
  drift metrics:                                  ${drift.url}/metrics
  models:                                         ${modelsDir}
  captured predictions:                           ${captureDir}

Try:
  curl -s ${gateway.url}/v1/models/penguins:predict -H 'authorization: Bearer ${apiKey}' \\
    -H 'content-type: application/json' \\
    -d '{"instances":[{"bill_length_mm":39.1,"bill_depth_mm":18.7,"flipper_length_mm":181,"body_mass_g":3750,"island":"Torgersen","sex":"MALE"}]}'
Stop with Ctrl-C.`)
  // Front to back, so that requests already accepted still reach the services behind.
  closeOnSignal(async () => {
    await gateway.close()
    await inference.close()
    await drift.close()
  })
}
