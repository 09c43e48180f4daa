import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMlp } from '../../../../training/onnx/index.ts'
import { listen } from '../../../shared/node-server/index.ts'
import { createTestApp, type Json, readJson } from '../testing/index.ts'
import type { ModelStat } from './index.ts'

const run = promisify(execFile)

let t: Awaited<ReturnType<typeof createTestApp>>
beforeAll(async () => {
  const mlp = (seed: number) =>
    buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed, softmax: true })
  t = await createTestApp({
    iris: { onnx: mlp(1), config: { max_batch_size: 8 } },
    other: { onnx: mlp(2), version: 3 },
    broken: { onnx: new TextEncoder().encode('not an onnx file') },
  })
})
afterAll(() => t.repository.close())

const infer = (model: string, rows: number, extra: object = {}) =>
  t.post(`/v2/models/${model}/infer`, {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 4], data: Array(rows * 4).fill(1) }],
    ...extra,
  })
const stats = async (path: string) => readJson(await t.app.request(path))
const only = async (path: string): Promise<ModelStat> => {
  const { status, body } = await stats(path)
  expect(status).toBe(200)
  expect(body.model_stats).toHaveLength(1)
  return body.model_stats[0]
}

describe("Triton's statistics extension", () => {
  it('is advertised in the server metadata', async () => {
    const { body } = await readJson(await t.app.request('/v2'))
    expect(body.extensions).toContain('statistics')
  })

  it("counts rows as inferences and runs as executions, in Triton's shape", async () => {
    const before = Date.now()
    for (let i = 0; i < 3; i++) expect((await infer('iris', 2)).status).toBe(200)
    const stat = await only('/v2/models/iris/stats')
    const counted = (count: number) => ({ count, ns: expect.any(Number) })
    expect(stat).toEqual({
      name: 'iris',
      version: '1',
      last_inference: expect.any(Number),
      inference_count: 6,
      execution_count: 3,
      inference_stats: {
        success: counted(3),
        fail: counted(0),
        queue: counted(3),
        compute_input: counted(3),
        compute_infer: counted(3),
        compute_output: counted(3),
        cache_hit: { count: 0, ns: 0 },
        cache_miss: { count: 0, ns: 0 },
      },
      batch_stats: [
        {
          batch_size: 2,
          compute_input: counted(3),
          compute_infer: counted(3),
          compute_output: counted(3),
        },
      ],
    })
    expect(stat.last_inference).toBeGreaterThanOrEqual(before)
    expect(stat.last_inference).toBeLessThanOrEqual(Date.now())
    const { success, compute_infer } = stat.inference_stats
    expect(Number.isInteger(success.ns) && success.ns >= compute_infer.ns).toBe(true)
    expect(compute_infer.ns).toBeGreaterThan(0)
    // Unversioned and versioned paths report the same version.
    expect(await only('/v2/models/iris/versions/1/stats')).toEqual(stat)
  })

  it('charges each batched request its queue time and the shared execution', async () => {
    const { inference_count: rowsBefore, execution_count: runsBefore } =
      await only('/v2/models/iris/stats')
    const answers = await Promise.all(Array.from({ length: 8 }, () => infer('iris', 1)))
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200))
    const stat = await only('/v2/models/iris/stats')
    expect(stat.inference_count - rowsBefore).toBe(8)
    const runs = stat.execution_count - runsBefore
    expect(runs).toBeGreaterThanOrEqual(1)
    expect(runs).toBeLessThanOrEqual(8)
    // Every execution is in exactly one batch size, and the sizes add up to the rows.
    const byBatch = stat.batch_stats.map((b) => [b.batch_size, b.compute_infer.count] as const)
    expect(byBatch.reduce((sum, [, n]) => sum + n, 0)).toBe(stat.execution_count)
    expect(byBatch.reduce((sum, [size, n]) => sum + size * n, 0)).toBe(stat.inference_count)
    expect(stat.inference_stats.queue.count).toBe(stat.inference_stats.success.count)
  })

  it('counts failed requests as failures, not inferences', async () => {
    const before = await only('/v2/models/iris/stats')
    expect((await infer('iris', 2, { outputs: [{ name: 'nope' }] })).status).toBe(400)
    const after = await only('/v2/models/iris/stats')
    expect(after.inference_stats.fail.count).toBe(before.inference_stats.fail.count + 1)
    expect(after.inference_count).toBe(before.inference_count)
    expect(after.inference_stats.success).toEqual(before.inference_stats.success)
  })

  it('lists every ready version for all models, and refuses what is not ready with 400', async () => {
    const { body } = await stats('/v2/models/stats')
    expect(body.model_stats.map((s: Json) => [s.name, s.version])).toEqual([
      ['iris', '1'],
      ['other', '3'],
    ])
    expect(await stats('/v2/models/nope/stats')).toEqual({
      status: 400,
      body: { error: "requested model 'nope' is not available" },
    })
    expect((await stats('/v2/models/broken/stats')).status).toBe(400)
    expect(await stats('/v2/models/iris/versions/2/stats')).toEqual({
      status: 400,
      body: { error: "requested model version is not available for model 'iris'" },
    })
  })

  it("reads as tritonclient's get_inference_statistics reads it", async () => {
    const server = await listen(t.app.fetch, { port: 0 })
    // tritonclient.http's get_inference_statistics, without its dependencies (PyPI is out of
    // reach here): the same URIs, json.loads of a 200, InferenceServerException from the error.
    const script = `
import json, sys, urllib.request, urllib.error
from urllib.parse import quote

class InferenceServerException(Exception):
    pass

def get_inference_statistics(model_name="", model_version=""):
    if model_name != "":
        if model_version != "":
            uri = "v2/models/{}/versions/{}/stats".format(quote(model_name), model_version)
        else:
            uri = "v2/models/{}/stats".format(quote(model_name))
    else:
        uri = "v2/models/stats"
    try:
        with urllib.request.urlopen(sys.argv[1] + "/" + uri) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise InferenceServerException(json.loads(error.read())["error"])

def check(stat):
    assert isinstance(stat["name"], str) and isinstance(stat["version"], str)
    for key in ("last_inference", "inference_count", "execution_count"):
        assert isinstance(stat[key], int), key
    durations = list(stat["inference_stats"].values())
    for batch in stat["batch_stats"]:
        assert isinstance(batch["batch_size"], int)
        durations += [batch[k] for k in ("compute_input", "compute_infer", "compute_output")]
    for d in durations:
        assert isinstance(d["count"], int) and isinstance(d["ns"], int), d
    return stat

every = [check(s) for s in get_inference_statistics()["model_stats"]]
iris = check(get_inference_statistics("iris", "1")["model_stats"][0])
try:
    get_inference_statistics("nope")
    error = None
except InferenceServerException as e:
    error = str(e)
print(json.dumps({
    "models": [[s["name"], s["version"]] for s in every],
    "inference_count": iris["inference_count"],
    "success": iris["inference_stats"]["success"]["count"],
    "error": error,
}))
`
    try {
      const { stdout } = await run('/usr/bin/python3', ['-c', script, server.url])
      const read = JSON.parse(stdout)
      const iris = await only('/v2/models/iris/stats')
      expect(read).toEqual({
        models: [
          ['iris', '1'],
          ['other', '3'],
        ],
        inference_count: iris.inference_count,
        success: iris.inference_stats.success.count,
        error: "requested model 'nope' is not available",
      })
    } finally {
      await server.stop()
    }
  })
})
