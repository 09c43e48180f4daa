import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type ModelRegistry, readVersionFolder } from '../../services/registry/src/index.ts'
import { buildDemoModels, DEMO_MODELS, type DemoProgress } from '../../training/demo/index.ts'

const ACTOR = 'infera start'

/**
 * Registers the demo models and makes their first version production, for those the registry
 * doesn't serve yet: a fresh INFERA_HOME starts with models to call; a used one keeps its history.
 * Returns the models seeded.
 */
export async function seedDemoModels(
  registry: ModelRegistry,
  buildDir: string,
  { log, onProgress }: { log: (line: string) => void; onProgress?: (p: DemoProgress) => void },
) {
  const served = new Set(
    (await registry.list()).filter((m) => m.aliases.production).map((m) => m.name),
  )
  const missing = DEMO_MODELS.filter((name) => !served.has(name))
  if (missing.length === 0) return []
  if (missing.some((name) => !existsSync(join(buildDir, name, '1', 'model.onnx')))) {
    log(`training the demo models into ${buildDir} ...`)
    await buildDemoModels({ outDir: buildDir, ...(onProgress && { onProgress }) })
  }
  log(`registering and promoting ${missing.join(', ')} ...`)
  for (const name of missing) {
    const shown = await registry.show(name).catch(() => undefined)
    const version =
      shown?.versions.at(-1)?.version ??
      (
        await registry.register({
          name,
          ...(await readVersionFolder(join(buildDir, name, '1'))),
          lineage: {
            data_location: 'npm:vega-datasets',
            code_version: 'training/demo',
            training_job: null,
          },
          actor: ACTOR,
          reason: 'demo model of the local platform',
        })
      ).version
    await registry.promote(name, version, {
      to: 'production',
      actor: ACTOR,
      reason: 'the demo model serves first',
    })
  }
  return missing
}
