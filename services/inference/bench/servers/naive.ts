// What users write by hand: Hono calling session.run once per request.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import ort from 'onnxruntime-node'

const modelPath = process.argv[2] as string
const session = await ort.InferenceSession.create(modelPath)
const app = new Hono()
app.post('/v2/models/:name/infer', async (c) => {
  const body = await c.req.json()
  const input = body.inputs[0]
  const tensor = new ort.Tensor('float32', Float32Array.from(input.data.flat()), input.shape)
  const results = await session.run({ [input.name]: tensor })
  const output = results[session.outputNames[0] as string] as ort.Tensor
  return c.json({
    model_name: c.req.param('name'),
    model_version: '1',
    outputs: [
      {
        name: session.outputNames[0],
        datatype: 'FP32',
        shape: output.dims,
        data: Array.from(output.data as Float32Array),
      },
    ],
  })
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  console.log(`listening ${info.port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
