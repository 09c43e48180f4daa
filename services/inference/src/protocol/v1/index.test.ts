import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMlp } from '../../../../../training/onnx/index.ts'
import { createTestApp, readJson } from '../../testing/index.ts'

let t: Awaited<ReturnType<typeof createTestApp>>
beforeAll(async () => {
  t = await createTestApp({
    iris: {
      onnx: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true }),
      config: { max_batch_size: 4 },
    },
  })
})
afterAll(() => t.repository.close())

const predict = async (body: object) => readJson(await t.post('/v1/models/iris:predict', body))

describe('KServe V1 requests are checked against the model before any work', () => {
  it('refuses more instances than max_batch_size before reading them', async () => {
    // Not one of them is a valid row: the count is refused first.
    expect(await predict({ instances: Array(100_000).fill('junk') })).toEqual({
      status: 400,
      body: { error: "100000 instances exceed the model's max_batch_size 4" },
    })
    expect((await predict({ instances: Array(4).fill([1, 2, 3, 4]) })).status).toBe(200)
  })

  it('sizes tensors by the instances sent, not by the lengths of the first ones', async () => {
    // 1,000 wide at each of four levels along the first branch only: a 10^12-element "shape".
    const chain = (depth: number): unknown =>
      depth === 0 ? 1 : [chain(depth - 1), ...Array(999).fill(0)]
    const { status, body } = await predict({ instances: [chain(4)] })
    expect(status).toBe(400)
    expect(body.error).toMatch(/input 'input': shape \[1,1000,1000,1000,1000\] needs/)
  })
})
