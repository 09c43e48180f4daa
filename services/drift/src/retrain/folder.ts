import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { VERSION_NUMBER } from '../references/index.ts'
import {
  type ModelVersions,
  type RetrainedVersion,
  RetrainInputError,
  type VersionInputs,
} from './versions.ts'

/**
 * Versions in a Triton-style model repository, `<model>/config.json` beside `<model>/<version>/`:
 * the new version is the next folder, sharing the model's config.json.
 */
export class FolderVersions implements ModelVersions {
  constructor(readonly modelsDir: string) {}

  async read(model: string, version: string): Promise<VersionInputs> {
    const modelDir = join(this.modelsDir, model)
    const referenceCsv = await readIfExists(join(modelDir, version, 'reference.csv'))
    if (referenceCsv === undefined) {
      throw new RetrainInputError(`version ${version} of ${model} has no reference.csv`)
    }
    const configText = await readIfExists(join(modelDir, 'config.json'))
    if (configText === undefined) throw new RetrainInputError(`${model} has no config.json`)
    return { config: JSON.parse(configText), referenceCsv }
  }

  async publish({ request, onnx, metrics, referenceCsv }: RetrainedVersion) {
    const version = await publishVersion(join(this.modelsDir, request.model), {
      'model.onnx': onnx,
      'metrics.json': `${JSON.stringify(metrics, null, 2)}\n`,
      'reference.csv': referenceCsv,
    })
    return { version: String(version) }
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Writes the files into a hidden staging folder beside the versions, then renames it to the next
 * version number: the model server ignores the staging folder and sees the version appear whole.
 */
async function publishVersion(modelDir: string, files: Record<string, string | Uint8Array>) {
  const staging = join(modelDir, `.retrain-${randomUUID()}`)
  await mkdir(staging)
  try {
    for (const [name, data] of Object.entries(files)) await writeFile(join(staging, name), data)
    const versions = (await readdir(modelDir))
      .filter((name) => VERSION_NUMBER.test(name))
      .map(Number)
    const version = Math.max(0, ...versions) + 1
    await rename(staging, join(modelDir, String(version)))
    return version
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}
