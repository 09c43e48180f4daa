/**
 * A registered model run through the inference service's own code — its loader (onnxruntime
 * session, graph checks against config.json, warm-up) and its KServe V1 row handling — so that the
 * gate scores exactly what serving would answer.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ModelConfig, parseModelConfig } from '../../../inference/src/config/index.ts'
import { ModelVersion } from '../../../inference/src/model/index.ts'
import { instancesToInputs, toPredictions } from '../../../inference/src/protocol/v1/index.ts'

/** A config.json that the inference service would refuse, or a model it could not load. */
export class ModelCheckError extends Error {}

/** Validates config.json with the inference service's schema; the problems named by field. */
export function checkConfig(config: unknown): ModelConfig {
  try {
    return parseModelConfig(config)
  } catch (error) {
    throw new ModelCheckError((error as Error).message)
  }
}

/**
 * Loads `onnx` with `config` as the inference service would and hands the loaded version to
 * `work`; the session and its temporary file are gone when it returns. A model that fails to load
 * (not ONNX, or inputs and outputs other than config.json says) is a ModelCheckError.
 */
export async function withModel<T>(
  what: { name: string; version: number; onnx: Uint8Array; config: unknown },
  work: (model: ModelVersion) => Promise<T>,
): Promise<T> {
  const config = checkConfig(what.config)
  // onnxruntime-node's loader reads the file itself: the verified bytes go to a private folder.
  const dir = await mkdtemp(join(tmpdir(), 'infera-registry-model-'))
  try {
    const path = join(dir, 'model.onnx')
    await writeFile(path, what.onnx)
    let model: ModelVersion
    try {
      model = await ModelVersion.load({
        name: what.name,
        version: String(what.version),
        path,
        config,
        // The gate scores on this host's CPU whatever providers the model serves with.
        onCpu: true,
      })
    } catch (error) {
      throw new ModelCheckError(
        `version ${what.version} of ${what.name} does not load: ${(error as Error).message}`,
      )
    }
    try {
      return await work(model)
    } finally {
      await model.release()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Predictions for rows keyed by feature name, in batches the model accepts. */
export async function predictRows(
  model: ModelVersion,
  rows: readonly Record<string, unknown>[],
): Promise<unknown[]> {
  const batch = Math.max(model.maxBatchSize, 1)
  const predictions: unknown[] = []
  for (let start = 0; start < rows.length; start += batch) {
    const inputs = instancesToInputs(model, { instances: rows.slice(start, start + batch) })
    const { outputs } = await model.infer(inputs)
    predictions.push(...toPredictions(model, outputs))
  }
  return predictions
}
