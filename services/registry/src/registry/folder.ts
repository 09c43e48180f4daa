import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { RegistryError, type VersionFiles } from '../types.ts'

export interface VersionFolder {
  files: VersionFiles
  config: Record<string, unknown>
  metrics: Record<string, unknown> | null
}

async function read(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new RegistryError(400, `can't read ${path}: ${(error as Error).message}`)
  }
}

function jsonObject(bytes: Buffer, path: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new RegistryError(400, `${path} is not JSON: ${(error as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RegistryError(400, `${path} must hold a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * A version folder as training writes it: model.onnx, with metrics.json and reference.csv when
 * there are, and config.json in the folder or — Triton's layout, `<model>/config.json` beside
 * `<model>/<version>/` — in its parent. Without one the config is `{}`: the defaults, with the
 * inputs and outputs read from the ONNX graph.
 */
export async function readVersionFolder(dir: string): Promise<VersionFolder> {
  const onnx = await read(join(dir, 'model.onnx'))
  if (!onnx) throw new RegistryError(400, `${dir} has no model.onnx`)
  const configPath = [join(dir, 'config.json'), join(dirname(dir), 'config.json')]
  let config: Record<string, unknown> = {}
  for (const path of configPath) {
    const bytes = await read(path)
    if (bytes) {
      config = jsonObject(bytes, path)
      break
    }
  }
  const metrics = await read(join(dir, 'metrics.json'))
  const reference = await read(join(dir, 'reference.csv'))
  return {
    files: { 'model.onnx': onnx, ...(reference ? { 'reference.csv': reference } : {}) },
    config,
    metrics: metrics ? jsonObject(metrics, join(dir, 'metrics.json')) : null,
  }
}
