import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { closeOnSignal, parseCommandArgs, toNumber, toPort } from '../args.ts'
import { localTokensFile, registryUrlFile } from '../home.ts'
import { LOCAL_DEFAULTS, startLocalPlatform } from '../local/platform.ts'

export async function run(argv: string[]) {
  const { values } = parseCommandArgs(argv, { host: { type: 'string' } })
  const env = process.env
  const { ports } = LOCAL_DEFAULTS
  const canarySeconds = toNumber(env.INFERA_CANARY_SECONDS, 'INFERA_CANARY_SECONDS', { min: 1 })
  const platform = await startLocalPlatform({
    ...LOCAL_DEFAULTS,
    // Loopback unless asked: --host, else HOST (0.0.0.0 opens the platform to the network).
    host: values.host ?? (env.HOST || LOCAL_DEFAULTS.host),
    ports: {
      gateway: toPort(env.PORT, 'PORT') ?? ports.gateway,
      drift: toPort(env.DRIFT_PORT, 'DRIFT_PORT') ?? ports.drift,
      inference: toPort(env.INFERENCE_PORT, 'INFERENCE_PORT') ?? ports.inference,
      registry: toPort(env.REGISTRY_PORT, 'REGISTRY_PORT') ?? ports.registry,
    },
    apiKey: env.INFERA_DEV_API_KEY ?? `infera-dev-${randomBytes(12).toString('hex')}`,
    canary: {
      ...LOCAL_DEFAULTS.canary,
      ...(canarySeconds === undefined ? {} : { analysisSeconds: canarySeconds }),
    },
  })
  const { gateway, inference, drift, registry, apiKey } = platform
  await writeFile(registryUrlFile(), `${registry.url}\n`)
  console.log(`
Infera is running.
  gateway (Open Inference Protocol, KServe V1):   ${gateway.url}
  development API key:                            ${apiKey}
  gateway metrics:                                ${gateway.url}/metrics
  inference (loopback, behind the gateway):       ${inference.url}
  drift service:                                  ${drift.url}/v1/drift/models
  drift report (after ${platform.windowRows} predictions):          ${drift.url}/v1/drift/penguins/report
  drift metrics:                                  ${drift.url}/metrics
  model registry:                                 ${registry.url}/v1/models
  client tokens (registry, labels, metrics):      ${localTokensFile()}
  registry metrics (canary analysis):             ${registry.url}/metrics
  models served from:                             ${platform.servingDir}
  captured predictions:                           ${platform.captureDir}
${platform.seeded.length ? `  registered and promoted:                        ${platform.seeded.join(', ')}\n` : ''}
Try:
  curl -s ${gateway.url}/v1/models/penguins:predict -H 'authorization: Bearer ${apiKey}' \\
    -H 'content-type: application/json' \\
    -d '{"instances":[{"bill_length_mm":39.1,"bill_depth_mm":18.7,"flipper_length_mm":181,"body_mass_g":3750,"island":"Torgersen","sex":"MALE"}]}'
  npm run infera -- models list
Stop with Ctrl-C.`)
  closeOnSignal(async () => {
    await rm(registryUrlFile(), { force: true })
    await platform.close()
  })
}
