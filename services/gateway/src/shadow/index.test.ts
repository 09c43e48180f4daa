import { describe, expect, it } from 'vitest'
import { fakeUpstreams, manualClock } from '../testing/index.ts'
import { mirror, outputsOf, sameValue } from './index.ts'

const oip = (data: number[], name = 'y') => ({
  model_name: 'm',
  id: String(Math.random()),
  outputs: [{ name, datatype: 'FP32', shape: [data.length], data }],
})

const answer = (body: unknown) => ({
  status: 200,
  headers: new Headers({ 'content-type': 'application/json' }),
  body: new TextEncoder().encode(JSON.stringify(body)),
})

describe('outputsOf and sameValue', () => {
  it('compares OIP outputs by name, ignoring order and response ids', () => {
    const a = { id: '1', outputs: [oip([1]).outputs[0], oip([2], 'z').outputs[0]] }
    const b = { id: '2', outputs: [oip([2], 'z').outputs[0], oip([1]).outputs[0]] }
    expect(sameValue(outputsOf(a), outputsOf(b))).toBe(true)
    expect(sameValue(outputsOf(oip([1, 2])), outputsOf(oip([1, 3])))).toBe(false)
  })

  it('compares V1 predictions, floats within a relative tolerance', () => {
    expect(
      sameValue(outputsOf({ predictions: [0.1 + 0.2] }), outputsOf({ predictions: [0.3] })),
    ).toBe(true)
    expect(sameValue(outputsOf({ predictions: [0.3] }), outputsOf({ predictions: [0.31] }))).toBe(
      false,
    )
    expect(
      sameValue(outputsOf({ predictions: ['a'] }), outputsOf({ predictions: ['a', 'b'] })),
    ).toBe(false)
    expect(sameValue({ a: 1 }, { b: 1 })).toBe(false)
  })
})

describe('mirror', () => {
  const request = {
    method: 'POST',
    pathAndQuery: '/v2/models/m/infer',
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode('{}').buffer,
  }

  it('measures the shadow latency and flags a disagreement', async () => {
    const clock = manualClock()
    const upstream = fakeUpstreams({
      'http://shadow': () => {
        clock.advance(250)
        return Response.json(oip([9]))
      },
    })
    const results: { seconds: number; disagrees: boolean }[] = []
    const options = {
      targets: ['http://shadow'],
      send: upstream.send,
      maxResponseBytes: 1024,
      now: clock.now,
      random: () => 0,
      timeoutMs: 1000,
      onResult: (r: { seconds: number; disagrees: boolean }) => results.push(r),
    }
    await mirror(request, Promise.resolve(answer(oip([1]))), options)
    await mirror(request, Promise.resolve(answer(oip([9]))), options)
    await mirror(request, Promise.resolve(undefined), options)
    expect(results).toEqual([
      { seconds: 0.25, disagrees: true },
      { seconds: 0.25, disagrees: false },
      { seconds: 0.25, disagrees: false },
    ])
    expect(await upstream.calls[0]?.text()).toBe('{}')
  })

  it('reports an unreachable shadow without rejecting', async () => {
    const errors: unknown[] = []
    await mirror(request, Promise.resolve(undefined), {
      targets: ['http://down'],
      send: fakeUpstreams({}).send,
      maxResponseBytes: 1024,
      now: Date.now,
      random: () => 0,
      timeoutMs: 1000,
      onResult: () => expect.unreachable(),
      onError: (error) => errors.push(error),
    })
    expect(errors).toHaveLength(1)
  })
})
