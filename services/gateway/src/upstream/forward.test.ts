import { describe, expect, it } from 'vitest'
import { fakeUpstreams, hang, manualClock, type UpstreamHandler } from '../testing/index.ts'
import { CircuitBreaker, type ForwardOptions, forward, type UpstreamRequest } from './index.ts'

const request: UpstreamRequest = {
  method: 'POST',
  pathAndQuery: '/v2/models/m/infer?x=1',
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode('{"inputs":[]}').buffer,
}

function setup(handlers: Record<string, UpstreamHandler>, overrides: Partial<ForwardOptions> = {}) {
  const upstream = fakeUpstreams(handlers)
  const clock = manualClock()
  const breakers = new Map<string, CircuitBreaker>()
  const breaker = (target: string) => {
    let b = breakers.get(target)
    if (!b) {
      b = new CircuitBreaker({ failures: 1, openMs: 1000, now: clock.now })
      breakers.set(target, b)
    }
    return b
  }
  let retries = 0
  const options: ForwardOptions = {
    candidates: ['http://a', 'http://b', 'http://c'],
    breaker,
    timeoutMs: 200,
    retries: 1,
    maxResponseBytes: 1024,
    send: upstream.send,
    now: clock.now,
    random: () => 0,
    onRetry: () => retries++,
    ...overrides,
  }
  return { upstream, breaker, options, retries: () => retries }
}

const hosts = (calls: Request[]) => calls.map((c) => new URL(c.url).origin)

describe('forward', () => {
  it('sends method, path, query, headers and body to the first target', async () => {
    const { upstream, options } = setup({ 'http://a': () => new Response('ok') })
    const result = await forward(request, options)
    expect(result.ok && new TextDecoder().decode(result.response.body)).toBe('ok')
    const sent = upstream.calls[0]
    expect(sent?.url).toBe('http://a/v2/models/m/infer?x=1')
    expect(sent?.method).toBe('POST')
    expect(sent?.headers.get('content-type')).toBe('application/json')
    expect(await sent?.text()).toBe('{"inputs":[]}')
  })

  it('retries a connection error on another target', async () => {
    const { upstream, options, retries, breaker } = setup({ 'http://b': () => new Response('b') })
    const result = await forward(request, options)
    expect(result).toMatchObject({ ok: true, target: 'http://b', attempts: 2 })
    expect(hosts(upstream.calls)).toEqual(['http://a', 'http://b'])
    expect(retries()).toBe(1)
    expect(breaker('http://a').state()).toBe('open')
  })

  it('retries a 503 and returns the last 503 when every attempt got one', async () => {
    const busy = () => new Response('{"error":"busy"}', { status: 503 })
    const { upstream, options } = setup({ 'http://a': busy, 'http://b': busy, 'http://c': busy })
    const result = await forward(request, options)
    expect(hosts(upstream.calls)).toEqual(['http://a', 'http://b'])
    expect(result.ok && result.response.status).toBe(503)
  })

  it.each([400, 404, 500])('never retries a %i: the request reached a model', async (status) => {
    const { upstream, options, breaker } = setup({
      'http://a': () => new Response('{"error":"x"}', { status }),
      'http://b': () => new Response('b'),
    })
    const result = await forward(request, options)
    expect(result.ok && result.response.status).toBe(status)
    expect(upstream.calls).toHaveLength(1)
    expect(breaker('http://a').state()).toBe('closed')
  })

  it('gives 502 when every attempt failed to connect', async () => {
    const { upstream, options } = setup({})
    const result = await forward(request, { ...options, retries: 2 })
    expect(result).toMatchObject({ ok: false, status: 502, attempts: 3 })
    expect(upstream.calls).toHaveLength(3)
  })

  it('gives 504 at the deadline without retrying', async () => {
    const { upstream, options } = setup({ 'http://a': hang, 'http://b': () => new Response() })
    const result = await forward(request, { ...options, timeoutMs: 30 })
    expect(result).toMatchObject({ ok: false, status: 504, target: 'http://a' })
    expect(upstream.calls).toHaveLength(1)
  })

  it('gives 502 for an answer over the response limit, without a retry or a breaker failure', async () => {
    const { upstream, options, breaker } = setup({
      'http://a': () => new Response('x'.repeat(2048)),
      'http://b': () => new Response('b'),
    })
    const result = await forward(request, options)
    expect(result).toMatchObject({
      ok: false,
      status: 502,
      error: 'upstream response exceeds 1024 bytes',
    })
    expect(upstream.calls).toHaveLength(1)
    expect(breaker('http://a').state()).toBe('closed')
  })

  it('gives 504 once the deadline has passed, before another attempt', async () => {
    const clock = manualClock()
    const { upstream, options } = setup(
      {
        'http://a': () => {
          clock.advance(300)
          return new Response('busy', { status: 503 })
        },
        'http://b': () => new Response('b'),
      },
      { now: clock.now },
    )
    const result = await forward(request, options)
    expect(result).toMatchObject({ ok: false, status: 504, target: 'http://a', attempts: 1 })
    expect(upstream.calls).toHaveLength(1)
  })

  it('gives 503 without sending anything when every breaker is open', async () => {
    const { upstream, options, breaker } = setup({ 'http://a': () => new Response() })
    for (const t of options.candidates) breaker(t).failure()
    const result = await forward(request, options)
    expect(result).toMatchObject({ ok: false, status: 503, attempts: 0 })
    expect(upstream.calls).toHaveLength(0)
  })
})
