import { execFile } from 'node:child_process'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { limitBody } from '../body-limit/index.ts'
import { type Listening, listen } from './index.ts'

const MiB = 1024 * 1024
const LIMIT = MiB

/** Python's urllib (stdlib only) posting `megabytes` of body, as a client that sends before reading. */
const URLLIB = `
import json, sys, urllib.request, urllib.error
url, megabytes, chunked = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'chunked'
block = b'x' * (1024 * 1024)
data = (block for _ in range(megabytes)) if chunked else block * megabytes
request = urllib.request.Request(url, data=data, method='POST')
if not chunked:
    request.add_header('Content-Length', str(megabytes * 1024 * 1024))
try:
    with urllib.request.urlopen(request) as response:
        print(json.dumps({'status': response.status, 'body': response.read().decode()}))
except urllib.error.HTTPError as error:
    print(json.dumps({'status': error.code, 'body': error.read().decode()}))
except OSError as error:
    print(json.dumps({'error': repr(error)}))
`

async function urllibPost(url: string, megabytes: number, mode: 'length' | 'chunked') {
  const { stdout } = await promisify(execFile)(
    '/usr/bin/python3',
    ['-c', URLLIB, url, String(megabytes), mode],
    { maxBuffer: MiB },
  )
  return JSON.parse(stdout) as { status?: number; body?: string; error?: string }
}

/** Writes `head` on a raw connection and collects what comes back until the server closes. */
function rawExchange(
  port: number,
  head: string,
  onData?: (text: string, write: (data: string) => void) => void,
) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
      onData?.(received, (data) => socket.write(data))
    })
    socket.on('end', () => resolve(received))
    socket.on('error', reject)
    socket.write(head)
  })
}

let server: Listening
let bodiesRead = 0
beforeAll(async () => {
  const app = new Hono()
  app.use('/echo-length', limitBody(LIMIT))
  app.post('/echo-length', async (c) => {
    const length = (await c.req.arrayBuffer()).byteLength
    bodiesRead += 1
    return c.json({ length })
  })
  app.post('/refuse', (c) => c.json({ error: 'no credentials' }, 401))
  server = await listen(app.fetch, { port: 0, drain: { maxBytes: 200 * MiB, maxMs: 60_000 } })
})
afterAll(() => server?.stop())

describe('a body the handler refuses, to a client that sends it all before reading', () => {
  it('binds to loopback unless told otherwise', () => {
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1' })
  })

  it('lets urllib read the 413 for a declared length far over the limit', async () => {
    const result = await urllibPost(`${server.url}/echo-length`, 96, 'length')
    expect(result).toEqual({
      status: 413,
      body: JSON.stringify({ error: `request body is larger than ${LIMIT} bytes` }),
    })
  })

  it('lets urllib read the 413 for a chunked body over the limit', async () => {
    const result = await urllibPost(`${server.url}/echo-length`, 96, 'chunked')
    expect(result.status).toBe(413)
  })

  it('lets urllib read an answer given on the headers alone', async () => {
    const result = await urllibPost(`${server.url}/refuse`, 96, 'length')
    expect(result).toEqual({ status: 401, body: '{"error":"no credentials"}' })
  })

  it('still serves bodies within the limit, chunked or not', async () => {
    expect(await urllibPost(`${server.url}/echo-length`, 1, 'length')).toEqual({
      status: 200,
      body: JSON.stringify({ length: MiB }),
    })
    expect(await urllibPost(`${server.url}/echo-length`, 1, 'chunked')).toMatchObject({
      status: 200,
    })
  })
})

describe('Expect: 100-continue', () => {
  it('answers 413 instead of 100 Continue for a declared length over the limit, and closes', async () => {
    const reply = await rawExchange(
      server.port,
      `POST /echo-length HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * LIMIT}\r\nExpect: 100-continue\r\n\r\n`,
    )
    expect(reply).toMatch(/^HTTP\/1\.1 413 /)
    expect(reply).not.toContain('100 Continue')
    expect(reply.toLowerCase()).toContain('connection: close')
  })

  it('sends 100 Continue once the handler reads the body', async () => {
    const before = bodiesRead
    const reply = await rawExchange(
      server.port,
      'POST /echo-length HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
      (received, write) => {
        if (received === 'HTTP/1.1 100 Continue\r\n\r\n') write('hello')
      },
    )
    expect(reply).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)
    expect(reply).toContain('{"length":5}')
    expect(bodiesRead).toBe(before + 1)
  })
})

describe('the drain bound', () => {
  it('closes the connection once more than the bound would have to be read', async () => {
    const small = await listen(() => Response.json({ error: 'refused' }, { status: 403 }), {
      port: 0,
      drain: { maxBytes: 64 * 1024, maxMs: 60_000 },
    })
    try {
      // Declares 1 GiB and sends 1 MiB: the server reads past its bound, then answers and closes.
      const reply = await rawExchange(
        small.port,
        `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * MiB}\r\n\r\n${'x'.repeat(MiB)}`,
      )
      expect(reply).toMatch(/^HTTP\/1\.1 403 /)
      expect(reply.toLowerCase()).toContain('connection: close')
    } finally {
      await small.stop()
    }
  })
})
