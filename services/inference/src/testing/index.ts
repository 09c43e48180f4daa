import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { createInferenceApp, DEFAULT_MAX_BODY_BYTES } from '../app/index.ts'
import type { RequestCapture } from '../capture/index.ts'
import { createInferenceMetrics } from '../metrics/index.ts'
import { ModelRepository } from '../repository/index.ts'

export interface FixtureModel {
  onnx: Uint8Array
  config?: object
  version?: number
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON response bodies
export type Json = any

export const readJson = async (res: Response) => ({
  status: res.status,
  body: (await res.json()) as Json,
})

export const tempDir = (prefix = 'infera-test-') => mkdtempSync(join(tmpdir(), prefix))

/** Resolves once `check` holds, looking again every 20 ms; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${check}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function writeModel(
  repo: string,
  name: string,
  { onnx, config, version = 1 }: FixtureModel,
) {
  mkdirSync(join(repo, name, String(version)), { recursive: true })
  writeFileSync(join(repo, name, String(version), 'model.onnx'), onnx)
  if (config) writeFileSync(join(repo, name, 'config.json'), JSON.stringify(config))
}

/** A repository on disk, loaded, and the app over it: what the service runs, without a port. */
export async function createTestApp(
  models: Record<string, FixtureModel>,
  options: { maxBodyBytes?: number; capture?: RequestCapture } = {},
) {
  const dir = tempDir()
  for (const [name, model] of Object.entries(models)) writeModel(dir, name, model)
  const metrics = createInferenceMetrics({ processMetrics: false })
  const logger = pino({ level: 'silent' })
  const repository = new ModelRepository({ dir, metrics, logger })
  await repository.loadAll()
  const app = createInferenceApp({
    repository,
    metrics,
    logger,
    isReady: () => true,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    ...(options.capture ? { capture: options.capture } : {}),
  })
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    })
  return { app, dir, repository, metrics, post }
}
