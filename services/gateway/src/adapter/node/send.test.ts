import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UpstreamResponseTooLarge, UpstreamTimeout } from '../../upstream/index.ts'
import { createNodeSend } from './send.ts'

// A real upstream: echoes what it got, or answers big, or never answers.
let server: http.Server
let base: string
const sockets = new Set<unknown>()

beforeAll(async () => {
  server = http.createServer((req, res) => {
    sockets.add(req.socket)
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.url === '/hang') return
      if (req.url === '/big') return res.end(Buffer.alloc(64 * 1024, 1))
      res.writeHead(201, {
        'content-type': 'application/json',
        'x-seen': 'a',
        'set-cookie': ['a=1', 'b=2'],
      })
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          type: req.headers['content-type'],
          length: req.headers['content-length'],
          body: Buffer.concat(chunks).toString(),
        }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => {
  server.closeAllConnections()
  server.close()
})

const post = (body = '{"x":1}') => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode(body).buffer,
  timeoutMs: 2000,
  maxResponseBytes: 1024,
})

describe('createNodeSend', () => {
  it('sends method, path, headers and body, and returns status, headers and the whole body', async () => {
    const { send, close } = createNodeSend()
    const response = await send(`${base}/v2/models/m/infer?x=1`, post())
    close()
    expect(response.status).toBe(201)
    expect(response.headers.get('Content-Type')).toBe('application/json')
    expect(response.headers.get('x-missing')).toBeNull()
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2')
    expect(JSON.parse(new TextDecoder().decode(response.body))).toEqual({
      method: 'POST',
      url: '/v2/models/m/infer?x=1',
      type: 'application/json',
      length: '7',
      body: '{"x":1}',
    })
  })

  it('keeps connections alive between requests', async () => {
    const { send, close } = createNodeSend()
    sockets.clear()
    for (let i = 0; i < 5; i++) await send(`${base}/`, post())
    close()
    expect(sockets.size).toBe(1)
  })

  it('fails with UpstreamTimeout when no answer comes in time', async () => {
    const { send, close } = createNodeSend()
    const started = Date.now()
    await expect(send(`${base}/hang`, { ...post(), timeoutMs: 50 })).rejects.toBeInstanceOf(
      UpstreamTimeout,
    )
    expect(Date.now() - started).toBeLessThan(1000)
    close()
  })

  it('fails with UpstreamResponseTooLarge past the response limit', async () => {
    const { send, close } = createNodeSend()
    await expect(send(`${base}/big`, post())).rejects.toBeInstanceOf(UpstreamResponseTooLarge)
    // The connection it abandoned does not poison the next request.
    expect((await send(`${base}/`, post())).status).toBe(201)
    close()
  })

  it('rejects when nothing listens', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const { send, close } = createNodeSend()
    await expect(send(`http://127.0.0.1:${port}/`, post())).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    })
    close()
  })
})
