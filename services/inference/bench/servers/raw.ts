// The HTTP ceiling: node:http reading a JSON body and answering with a JSON body of the same shape
// as an inference response, with no model behind it.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const answer = JSON.stringify({
  model_name: 'tiny',
  model_version: '1',
  outputs: [{ name: 'output', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.7] }],
})

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'))
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer)
  })
})
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`)
})
