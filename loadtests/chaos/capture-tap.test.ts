import { once } from 'node:events'
import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { CaptureTap } from './capture-tap.ts'
import { freePort } from './processes.ts'

const closers: (() => void)[] = []
afterEach(() => {
  for (const close of closers.splice(0)) close()
})

/** A drift service stand-in: acknowledges mpg's rows, refuses the others' (401). */
async function drift(port: number) {
  const received: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      received.push(`${req.headers.authorization} ${body}`)
      res.writeHead(req.url?.startsWith('/v1/drift/mpg/') ? 202 : 401).end('{}')
    })
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  closers.push(() => server.close())
  return received
}

const post = (url: string, rows: number) =>
  fetch(url, {
    method: 'POST',
    headers: { authorization: 'Bearer t', 'content-type': 'application/x-ndjson' },
    body: `${Array.from({ length: rows }, (_, i) => JSON.stringify({ id: i })).join('\n')}\n`,
  })

describe('CaptureTap', () => {
  it('passes requests on unchanged and counts only the rows drift acknowledged', async () => {
    const port = await freePort()
    const received = await drift(port)
    const tap = await new CaptureTap(`http://127.0.0.1:${port}`).listen()
    closers.push(() => tap.close())

    expect((await post(`${tap.url}/v1/drift/mpg/records?partial=true`, 3)).status).toBe(202)
    expect((await post(`${tap.url}/v1/drift/other/records`, 5)).status).toBe(401)
    expect(received[0]).toBe('Bearer t {"id":0}\n{"id":1}\n{"id":2}\n')
    expect(tap.acknowledged('mpg')).toBe(3)
    expect(tap.acknowledged('other')).toBe(0)
    expect(tap.answers('other')).toEqual({ 401: 5 })
  })

  it('answers 502 while drift is down, counting nothing, and counts again once it is back', async () => {
    const port = await freePort()
    const tap = await new CaptureTap(`http://127.0.0.1:${port}`).listen()
    closers.push(() => tap.close())

    expect((await post(`${tap.url}/v1/drift/mpg/records`, 4)).status).toBe(502)
    await drift(port)
    expect((await post(`${tap.url}/v1/drift/mpg/records`, 2)).status).toBe(202)
    expect(tap.acknowledged('mpg')).toBe(2)
    expect(tap.answers('mpg')).toEqual({ 202: 2, 502: 4 })
  })
})
