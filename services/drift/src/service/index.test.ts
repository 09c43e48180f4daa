import { createServer, type Server, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWith } from '../../../../testing/tools/index.ts'
import { postgresServer } from '../../../shared/database/testing.ts'
import {
  createTestDriftApp,
  demoRepository,
  PENGUIN_FEATURES,
  referenceRows,
} from '../testing/index.ts'
import { SERVICE_LIMITS } from './index.ts'

/**
 * A TCP path to the real PostgreSQL that can be cut and restored: what a database restart looks
 * like from the service (connections dropped, new ones refused), without restarting the shared one.
 */
async function cuttableProxy(target: URL) {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = new Socket().connect(Number(target.port || 5432), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => undefined)
    }
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  await listen(0)
  const { port } = server.address() as { port: number }
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return {
    url: url.toString(),
    /** Drops every connection and refuses new ones, as a stopped server does. */
    cut() {
      const closed = close()
      for (const socket of sockets) socket.destroy()
      return closed
    },
    restore: () => listen(port),
    close,
  }
}

describeWith(
  { postgres: postgresServer },
  'accepted records while PostgreSQL restarts',
  ({ postgres }) => {
    let modelsDir: string
    let penguins: Array<Record<string, unknown>>
    beforeAll(async () => {
      modelsDir = await demoRepository()
      penguins = referenceRows(modelsDir, 'penguins')
    })
    const proxies: Array<{ close(): Promise<void> }> = []
    afterAll(async () => {
      for (const proxy of proxies) await proxy.close()
    })

    it('keeps every evaluation of accepted rows until stored, and refuses rows past the backlog', async () => {
      const proxy = await cuttableProxy(new URL(await postgres.createDatabase()))
      proxies.push(proxy)
      const drift = await createTestDriftApp(modelsDir, { databaseUrl: proxy.url })
      let batch = 0
      // A window of 100 rows each: every accepted batch is one evaluation to store.
      const send = (hour = batch++) =>
        drift.post(
          '/v1/drift/penguins/records',
          penguins.slice(0, 100).map((p, i) => ({
            ts: new Date(Date.UTC(2026, 0, 1, hour, 0, i)).toISOString(),
            request_id: `b${hour}-${i}`,
            features: Object.fromEntries(PENGUIN_FEATURES.map((f) => [f, p[f]])),
            prediction: p.species,
          })),
        )
      expect((await send()).status).toBe(202)
      await drift.service.idle()
      expect(await drift.store.history('penguins')).toHaveLength(1)

      await proxy.cut()
      let accepted = 1
      let refused: Response | undefined
      // Bounded: a service that never pushes back would accept them all.
      for (let i = 0; i <= SERVICE_LIMITS.pendingEvaluations && !refused; i++) {
        const response = await send()
        if (response.status === 503) refused = response
        else if (response.status === 202) accepted++
      }
      expect(accepted).toBe(1 + SERVICE_LIMITS.pendingEvaluations)
      expect(refused?.headers.get('retry-after')).toBe('5')
      expect(await refused?.json()).toMatchObject({
        error: expect.stringMatching(/waiting to be evaluated and stored/),
      })

      await proxy.restore()
      await drift.service.idle()
      // Every window that was accepted was evaluated and stored: nothing lost to the outage.
      expect(await drift.store.history('penguins', { limit: 100 })).toHaveLength(accepted)
      expect((await send()).status).toBe(202)
      // postgres.js's end() waits on a connection dropped mid-outage (openPostgres ends it without a
      // timeout): the store is left to the database's drop rather than hold the suite.
      await Promise.race([drift.service.close(), sleep(2000)])
    })
  },
)
