import { type Context, Hono } from 'hono'
import { badRequest, notFound } from '../../errors/index.ts'
import { type ModelVersion, predictionOf, type TensorSpec } from '../../model/index.ts'
import { parseJson, rowValues, type TensorData, valuesFromJson } from '../../tensor/index.ts'
import { type InferenceContext, serveInference } from '../serve.ts'

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** KServe's V1 protocol: `{"instances": [...]}` in, `{"predictions": [...]}` out. */
export function kserveV1Routes(ctx: InferenceContext) {
  const app = new Hono()
  const { repository } = ctx

  app.get('/v1/models', (c) =>
    c.json({ models: [...new Set(repository.index().map((r) => r.name))] }),
  )
  app.get('/v1/models/:name', (c) => {
    const name = c.req.param('name')
    if (!repository.has(name)) throw notFound(`unknown model '${name}'`)
    return c.json({ name, ready: repository.readyVersions(name).length > 0 })
  })
  // Versioned paths mirror the OIP's, so a gateway can pin a canary version for V1 clients too.
  app.get('/v1/models/:name/versions/:version', (c) => {
    const { name, version } = c.req.param()
    const model = repository.resolve(name, version)
    return c.json({ name, version: String(model.version), ready: true })
  })
  const predict = (c: Context, name: string, version: string | undefined) =>
    serveInference(ctx, { protocol: 'v1', name, version }, c.req.raw, {
      decode: async (model) => ({
        inputs: instancesToInputs(model, parseJson(await c.req.text())),
        requestId: c.req.header('x-request-id'),
      }),
      encode: (model, _, result) => c.json({ predictions: toPredictions(model, result.outputs) }),
    })
  const verb = (c: Context, target: string) => {
    const match = /^(.+):predict$/.exec(target)
    if (!match) throw notFound(`no route for POST ${c.req.path}; use /v1/models/<model>:predict`)
    return match[1] as string
  }
  app.post('/v1/models/:target', (c) => predict(c, verb(c, c.req.param('target')), undefined))
  app.post('/v1/models/:name/versions/:target', (c) =>
    predict(c, c.req.param('name'), verb(c, c.req.param('target'))),
  )
  return app
}

/**
 * Builds the model's input tensors from instances: each instance is a row (an array, for a model
 * with one input) or an object keyed by the configured feature names or by input names.
 */
export function instancesToInputs(model: ModelVersion, body: unknown): TensorData[] {
  if (!isObject(body) || !Array.isArray(body.instances) || body.instances.length === 0) {
    throw badRequest('request body must be {"instances": [...]} with at least one instance')
  }
  const instances = body.instances as unknown[]
  const batched = model.maxBatchSize > 0
  if (!batched && instances.length !== 1) {
    throw badRequest(`model '${model.name}' has no batch dimension: send exactly one instance`)
  }
  // Before any instance is read: the batcher would refuse the batch only after it was built.
  if (batched && instances.length > model.maxBatchSize) {
    throw badRequest(
      `${instances.length} instances exceed the model's max_batch_size ${model.maxBatchSize}`,
    )
  }
  const columns = new Map(model.inputs.map((spec) => [spec.name, model.config.features[spec.name]]))
  const keys = new Set(model.inputs.flatMap((spec) => columns.get(spec.name) ?? [spec.name]))
  const rows = new Map<string, unknown[]>(model.inputs.map((spec) => [spec.name, []]))
  instances.forEach((instance, i) => {
    if (!isObject(instance)) {
      const only = model.inputs.length === 1 ? model.inputs[0] : undefined
      if (!only) {
        throw badRequest(
          `instances[${i}] must be an object keyed by ${[...keys].map((k) => `'${k}'`).join(', ')}: the model has several inputs`,
        )
      }
      rows.get(only.name)?.push(instance)
      return
    }
    for (const key of Object.keys(instance)) {
      if (!keys.has(key)) {
        throw badRequest(
          `instances[${i}] has unknown key '${key}'; expected ${[...keys].map((k) => `'${k}'`).join(', ')}`,
        )
      }
    }
    for (const spec of model.inputs) {
      const names = columns.get(spec.name)
      const pick = (key: string) => {
        if (!(key in instance)) throw badRequest(`instances[${i}] is missing '${key}'`)
        return instance[key]
      }
      rows.get(spec.name)?.push(names ? names.map(pick) : pick(spec.name))
    }
  })
  return model.inputs.map((spec) => toTensor(spec, rows.get(spec.name) ?? [], batched))
}

function toTensor(spec: TensorSpec, rows: unknown[], batched: boolean): TensorData {
  const rowShape = nestedShape(rows[0])
  const shape = batched ? [rows.length, ...rowShape] : rowShape
  const data = valuesFromJson(
    `input '${spec.name}'`,
    spec.datatype,
    shape,
    batched ? rows : rows[0],
  )
  return { name: spec.name, datatype: spec.datatype, shape, data }
}

function nestedShape(value: unknown): number[] {
  const shape: number[] = []
  let level = value
  while (Array.isArray(level)) {
    shape.push(level.length)
    level = level[0]
  }
  return shape
}

/** Each row's prediction, else its output values (an object of them for several outputs). */
export function toPredictions(model: ModelVersion, outputs: TensorData[]): unknown[] {
  const rows = model.maxBatchSize > 0 ? (outputs[0]?.shape[0] ?? 0) : 1
  return Array.from({ length: rows }, (_, r) => {
    const prediction = predictionOf(model.config, outputs, r)
    if (prediction !== undefined) return prediction
    if (outputs.length === 1 && outputs[0]) return rowValues(outputs[0], r)
    return Object.fromEntries(outputs.map((o) => [o.name, rowValues(o, r)]))
  })
}
