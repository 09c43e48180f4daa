import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startInferenceServer } from '../../services/inference/src/index.ts'
import { buildDemoModels, DEMO_MODELS } from '../../training/demo/index.ts'
import { closeOnSignal, parseCommandArgs, toPort } from '../args.ts'
import { defaultCaptureDir, defaultModelsDir } from '../home.ts'

export async function run(argv: string[]) {
  parseCommandArgs(argv, {})
  const modelsDir = defaultModelsDir()
  if (DEMO_MODELS.some((name) => !existsSync(join(modelsDir, name, '1', 'model.onnx')))) {
    console.log(`building the demo models into ${modelsDir} ...`)
    await buildDemoModels({ outDir: modelsDir })
  }
  const port = toPort(process.env.PORT, 'PORT') ?? 8080
  const server = await startInferenceServer({
    modelsDir,
    port,
    host: process.env.HOST ?? '0.0.0.0',
    pollIntervalSeconds: 5,
    captureDir: defaultCaptureDir(),
    captureSampleRate: 1,
  })
  console.log(`
Infera is running.
  inference (Open Inference Protocol, KServe V1): ${server.url}
  metrics:                                        ${server.url}/metrics
  models:                                         ${modelsDir}
  captured predictions:                           ${defaultCaptureDir()}

Try:
  curl -s ${server.url}/v1/models/penguins:predict -H 'content-type: application/json' \\
    -d '{"instances":[{"bill_length_mm":39.1,"bill_depth_mm":18.7,"flipper_length_mm":181,"body_mass_g":3750,"island":"Torgersen","sex":"MALE"}]}'
Stop with Ctrl-C.`)
  closeOnSignal(server.close)
}
