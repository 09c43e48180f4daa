import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
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

describe('a kept-alive connection the server has closed', () => {
  // Answers the first request on each connection and resets the connection on the next one: the
  // race of a server closing an idle connection just as the client reuses it.
  let resetting: net.Server
  let url: string
  let connections = 0
  let requests = 0
  beforeAll(async () => {
    resetting = net.createServer((socket) => {
      connections++
      let served = 0
      socket.on('data', () => {
        requests++
        if (served++ > 0) return socket.resetAndDestroy()
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok')
      })
    })
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(resetting.address() as AddressInfo).port}/`
  })
  afterAll(() => resetting.close())

  it('sends the request again on a new connection', async () => {
    const { send, close } = createNodeSend()
    expect((await send(url, post())).status).toBe(200)
    const again = await send(url, post())
    close()
    expect(again.status).toBe(200)
    expect(new TextDecoder().decode(again.body)).toBe('ok')
    // The second request met the reset on the first connection, then went on a second one.
    expect({ connections, requests }).toEqual({ connections: 2, requests: 3 })
  })

  it('does not resend what a fresh connection lost', async () => {
    const dropping = net.createServer((socket) => socket.on('data', () => socket.resetAndDestroy()))
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve))
    let seen = 0
    dropping.on('connection', () => seen++)
    const { send, close } = createNodeSend()
    const port = (dropping.address() as AddressInfo).port
    await expect(send(`http://127.0.0.1:${port}/`, post())).rejects.toThrow()
    close()
    dropping.close()
    expect(seen).toBe(1)
  })
})
