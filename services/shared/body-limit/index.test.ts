import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { limitBody } from './index.ts'

function app() {
  const app = new Hono()
  app.use(limitBody(8))
  app.post('/', async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }))
  return app
}

const streamed = (...chunks: string[]) =>
  ({
    method: 'POST',
    duplex: 'half',
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    }),
  }) as RequestInit

describe('limitBody', () => {
  it('413s a declared length over the limit and passes one within it', async () => {
    const over = await app().request('/', { method: 'POST', body: '0123456789' })
    expect(over.status).toBe(413)
    expect(await over.json()).toEqual({ error: 'request body is larger than 8 bytes' })
    expect(await (await app().request('/', { method: 'POST', body: '01234567' })).json()).toEqual({
      length: 8,
    })
  })

  it('counts a streamed body as it comes', async () => {
    expect((await app().request('/', streamed('01234', '56789'))).status).toBe(413)
    expect(await (await app().request('/', streamed('0123', '4567'))).json()).toEqual({ length: 8 })
  })

  it('400s a streamed body that breaks off, naming why', async () => {
    const broken = {
      method: 'POST',
      duplex: 'half',
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new Error('aborted'))
        },
      }),
    } as RequestInit
    const response = await app().request('/', broken)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: 'the request body could not be read: aborted' })
  })
})
