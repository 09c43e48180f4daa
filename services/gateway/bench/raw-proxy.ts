// The bench's floor: the least any Node proxy does per request — read the body, one keep-alive
// `node:http` request upstream, write the answer back. No auth, routing, metrics or logs.
import http from 'node:http'

const target = new URL(process.argv[2] ?? '')
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        agent,
        headers: {
          'content-type': req.headers['content-type'] ?? '',
          'content-length': body.length,
        },
      },
      (answer) => {
        const parts: Buffer[] = []
        answer.on('data', (chunk: Buffer) => parts.push(chunk))
        answer.on('end', () => {
          const out = Buffer.concat(parts)
          res.writeHead(answer.statusCode ?? 502, {
            'content-type': answer.headers['content-type'] ?? '',
            'content-length': out.length,
          })
          res.end(out)
        })
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    upstream.end(body)
  })
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  console.log(`listening ${port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
