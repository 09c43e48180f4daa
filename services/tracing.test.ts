// One request's trace across real processes: `infera gateway` and `infera inference`, each with
// OTEL_EXPORTER_OTLP_ENDPOINT set, export to a real OTLP/HTTP receiver in a third process; the
// spans must join into one tree by the W3C traceparent the gateway sends upstream.
import type { ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { describeWith, startServer } from '../testing/tools/index.ts'
import { buildIdentityModel } from '../training/onnx/index.ts'
import { hashApiKey } from './gateway/src/index.ts'
import { tempDir, writeModel } from './inference/src/testing/index.ts'
import {
  type OtlpSpan,
  python3,
  receivedSpans,
  startOtlpReceiver,
} from './shared/tracing/testing/index.ts'

const KEY = 'trace-test-key'
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c'
const CALLER_PARENT = 'b7ad6b7169203331'

const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

/** `infera <args>` with tracing on, exporting to `otlp` as `service`. */
function infera(args: string[], otlp: string, service: string) {
  return startServer(process.execPath, ['bin/infera.js', ...args], children, {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_SERVICE_NAME: service,
    // Spans leave within 100 ms instead of the batch processor's 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  })
}

describeWith({ python: python3 }, 'a trace through gateway and model server', ({ python }) => {
  it('joins the gateway, its upstream attempt and the model server’s steps in one trace', async () => {
    const receiver = await startOtlpReceiver(python)
    try {
      const repo = tempDir()
      writeModel(repo, 'identity', {
        onnx: buildIdentityModel({ datatype: 'FP32', shape: ['batch', 2] }),
        config: { max_batch_size: 8 },
      })
      const inference = infera(
        ['inference', '--models', repo, '--port', '0', '--host', '127.0.0.1'],
        receiver.url,
        'infera-inference',
      )
      const config = join(tempDir(), 'gateway.json')
      writeFileSync(
        config,
        JSON.stringify({
          routes: [
            {
              model: 'identity',
              variants: [{ name: 'main', weight: 100, targets: [await inference.url] }],
            },
          ],
          auth: {
            api_keys: [{ tenant: 'acme', sha256: await hashApiKey(KEY), models: ['identity'] }],
          },
        }),
      )
      const gateway = infera(
        ['gateway', '--config', config, '--workers', '1', '--port', '0', '--host', '127.0.0.1'],
        receiver.url,
        'infera-gateway',
      )

      const response = await fetch(`${await gateway.url}/v2/models/identity/infer`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEY}`,
          'content-type': 'application/json',
          traceparent: `00-${CALLER_TRACE}-${CALLER_PARENT}-01`,
        },
        body: JSON.stringify({
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
        }),
      })
      expect(response.status).toBe(200)

      // Shutting down exports what the batch processors hold.
      for (const server of [gateway, inference]) {
        server.child.kill('SIGTERM')
        await server.exited
      }
      const spans = receivedSpans(await receiver.received()).filter(
        (span) => span.traceId === CALLER_TRACE,
      )
      const one = (service: string, name: string) => {
        const found = spans.filter((s) => s.service === service && s.name === name)
        expect(found, `${service} ${name} in ${spans.map((s) => s.name)}`).toHaveLength(1)
        return found[0] as OtlpSpan
      }
      const edge = one('infera-gateway', 'gateway')
      expect(edge.parentSpanId).toBe(CALLER_PARENT)
      const attempt = one('infera-gateway', 'upstream')
      expect(attempt.parentSpanId).toBe(edge.spanId)
      const served = spans.filter((s) => s.service === 'infera-inference' && !s.parentSpanId)
      expect(served).toHaveLength(0)
      const server = spans.find(
        (s) => s.service === 'infera-inference' && s.parentSpanId === attempt.spanId,
      )
      expect(server, 'the model server’s span under the gateway’s attempt').toBeDefined()
      for (const step of ['decode', 'queue', 'compute_infer', 'encode']) {
        expect(one('infera-inference', step).parentSpanId).toBe(server?.spanId)
      }
    } finally {
      receiver.close()
    }
  }, 60_000)
})
