import { Hono } from 'hono'
import { badRequest } from '../../errors/index.ts'
import type { ModelVersion } from '../../model/index.ts'
import { statisticsRoutes } from '../../stats/index.ts'
import {
  encodeInferResponse,
  parseInferJson,
  parseInferRequest,
  type RequestedOutput,
  type ResponseOutput,
  type TensorData,
} from '../../tensor/index.ts'
import { type InferenceContext, serveInference } from '../serve.ts'
import { classify } from './classification.ts'

export const SERVER_NAME = 'infera'
export const SERVER_VERSION = '0.1.0'
const EXTENSIONS = [
  'binary_tensor_data',
  'classification',
  'model_repository',
  'schedule_policy',
  'statistics',
]
const HEADER_LENGTH = 'inference-header-content-length'

/** The Open Inference Protocol (KServe V2 / Triton HTTP) with Triton's repository extension. */
export function openInferenceRoutes(ctx: InferenceContext) {
  const app = new Hono()
  const { repository } = ctx

  app.get('/v2/health/live', (c) => c.json({ live: true }))
  app.get('/v2/health/ready', (c) => {
    const ready = ctx.isReady()
    return c.json({ ready }, ready ? 200 : 503)
  })
  app.get('/v2', (c) =>
    c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS }),
  )

  // Before /v2/models/:name, which would take 'stats' for a model name.
  app.route('/', statisticsRoutes(repository))

  const metadata = (model: ModelVersion) => ({
    name: model.name,
    versions: repository.readyVersions(model.name).map((m) => m.version),
    platform: 'onnxruntime_onnx',
    inputs: model.inputs,
    outputs: model.outputs,
  })
  app.get('/v2/models/:name', (c) => c.json(metadata(repository.resolve(c.req.param('name')))))
  app.get('/v2/models/:name/versions/:version', (c) =>
    c.json(metadata(repository.resolve(c.req.param('name'), c.req.param('version')))),
  )

  const ready = (name: string, version?: string) => {
    try {
      repository.resolve(name, version)
      return { name, ready: true }
    } catch (error) {
      if (!repository.has(name)) throw error
      return { name, ready: false }
    }
  }
  app.get('/v2/models/:name/ready', (c) => {
    const body = ready(c.req.param('name'))
    return c.json(body, body.ready ? 200 : 503)
  })
  app.get('/v2/models/:name/versions/:version/ready', (c) => {
    const body = ready(c.req.param('name'), c.req.param('version'))
    return c.json(body, body.ready ? 200 : 503)
  })

  app.get('/v2/models/:name/config', (c) => {
    const model = repository.resolve(c.req.param('name'))
    return c.json({ name: model.name, ...model.config, max_batch_size: model.maxBatchSize })
  })

  const infer = (name: string, version: string | undefined, request: Request) =>
    serveInference(ctx, { protocol: 'v2', name, version }, request, {
      decode: async (model) => {
        const lengthHeader = request.headers.get(HEADER_LENGTH)
        const headerLength = lengthHeader === null ? undefined : parseHeaderLength(lengthHeader)
        const limits = { inputs: model.inputs.length, outputs: model.outputs.length }
        // Plain JSON is read as text: arrayBuffer() costs a copy of the body in @hono/node-server.
        const parsed =
          headerLength === undefined
            ? parseInferJson(await request.text(), limits)
            : parseInferRequest(new Uint8Array(await request.arrayBuffer()), headerLength, limits)
        const requested: RequestedOutput[] =
          parsed.outputs ??
          model.outputs.map((o) => ({ name: o.name, binary: parsed.binaryOutput }))
        for (const output of requested) {
          if (!model.outputs.some((o) => o.name === output.name)) {
            throw badRequest(
              `unknown output '${output.name}'; model '${model.name}' has outputs ${model.outputs.map((o) => `'${o.name}'`).join(', ')}`,
            )
          }
        }
        return {
          inputs: parsed.inputs,
          id: parsed.id,
          requested,
          requestId: parsed.id ?? request.headers.get('x-request-id') ?? undefined,
        }
      },
      encode: (model, { id, requested }, result) => {
        const outputs: ResponseOutput[] = requested.map((want) => {
          const tensor = result.outputs.find((o) => o.name === want.name) as TensorData
          const shaped =
            want.classification === undefined
              ? tensor
              : classify(tensor, want.classification, model.config.labels[want.name])
          return { ...shaped, binary: want.binary }
        })
        const encoded = encodeInferResponse({
          model_name: model.name,
          model_version: model.version,
          ...(id === undefined ? {} : { id }),
          outputs,
        })
        const headers: Record<string, string> =
          encoded.headerLength === undefined
            ? { 'content-type': 'application/json' }
            : {
                'content-type': 'application/octet-stream',
                [HEADER_LENGTH]: String(encoded.headerLength),
              }
        return new Response(encoded.body, { headers })
      },
    })

  app.post('/v2/models/:name/infer', (c) => infer(c.req.param('name'), undefined, c.req.raw))
  app.post('/v2/models/:name/versions/:version/infer', (c) =>
    infer(c.req.param('name'), c.req.param('version'), c.req.raw),
  )

  return app
}

function parseHeaderLength(value: string): number {
  const length = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(length)) {
    throw badRequest(`${HEADER_LENGTH} must be a non-negative integer, got '${value}'`)
  }
  return length
}
