import { once } from 'node:events'
import { createServer } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from './processes.ts'
import { Traffic } from './traffic.ts'

const closers: (() => void)[] = []
afterEach(() => {
  for (const close of closers.splice(0)) close()
})

const calls = [
  { model: 'up', path: '/v2/models/up/infer', body: '{}' },
  { model: 'down', path: '/v2/models/down/infer', body: '{}' },
]

describe('Traffic', () => {
  it('sends no more than its bound, round robin, keeping every answer', async () => {
    const seen: string[] = []
    const server = createServer((req, res) => {
      seen.push(`${req.headers.authorization} ${req.url}`)
      res.writeHead(req.url?.includes('/down/') ? 503 : 200).end('{}')
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    closers.push(() => server.close())
    const { port } = server.address() as { port: number }

    const traffic = new Traffic({
      gateway: `http://127.0.0.1:${port}`,
      apiKey: 'k',
      calls,
      rate: 1000,
      maxRequests: 12,
    })
    traffic.start()
    while (seen.length < 12) await delay(10)
    const samples = await traffic.stop()

    expect(samples).toHaveLength(12)
    expect(seen.filter((s) => s === 'Bearer k /v2/models/up/infer')).toHaveLength(6)
    expect(samples.filter((s) => s.model === 'down').map((s) => s.status)).toEqual(
      Array(6).fill(503),
    )
    expect(await traffic.stop()).toEqual([])
  })

  it('counts a connection refused as status 0', async () => {
    const traffic = new Traffic({
      gateway: `http://127.0.0.1:${await freePort()}`,
      apiKey: 'k',
      calls,
      rate: 1000,
      maxRequests: 3,
    })
    traffic.start()
    const samples: { status: number }[] = []
    while (samples.length < 3) {
      await delay(10)
      samples.push(...(await traffic.stop()))
      traffic.start()
    }
    await traffic.stop()
    expect(samples.map((s) => s.status)).toEqual([0, 0, 0])
  })
})
