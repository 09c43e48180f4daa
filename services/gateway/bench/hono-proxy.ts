// The framework's floor: a Hono app on @hono/node-server that forwards with the gateway's own Node
// upstream client and nothing else — no auth, limits, routing, metrics or logs.
import { Hono } from 'hono'
import { listen } from '../../shared/node-server/index.ts'
import { createNodeSend } from '../src/adapter/node/send.ts'

const target = process.argv[2] ?? ''
const { send } = createNodeSend()
const app = new Hono()
app.post('*', async (c) => {
  const answer = await send(`${target}${c.req.path}`, {
    method: 'POST',
    headers: { 'content-type': c.req.header('content-type') ?? '' },
    body: await c.req.arrayBuffer(),
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
  })
  return c.body(answer.body, answer.status as 200, {
    'content-type': answer.headers.get('content-type') ?? '',
  })
})
const { port } = await listen(app.fetch, { port: 0, host: '127.0.0.1' })
console.log(`listening ${port}`)
process.on('SIGTERM', () => process.exit(0))
