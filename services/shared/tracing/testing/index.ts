/**
 * Test support: a real OTLP/HTTP receiver in another process (otlp_receiver.py, Python's standard
 * library), which the SDK's exporter posts to as it would to a collector.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { findPython, requirement } from '../../../../testing/tools/index.ts'

const SCRIPT = fileURLToPath(new URL('./otlp_receiver.py', import.meta.url))

/** python3 (its standard library is all the receiver needs). */
export const python3 = requirement({
  name: 'python3',
  hint: 'apt-get install python3',
  check: () => findPython(['http.server', 'json']),
})

/** What the receiver kept of one POST to /v1/traces. */
export interface Received {
  contentType: string
  /** The decoded ExportTraceServiceRequest, when it came as JSON. */
  body?: OtlpTraces
  /** The body's length, when it came in another encoding. */
  length?: number
}

/** The parts of an OTLP/JSON ExportTraceServiceRequest the tests read. */
export interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] }
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>
  }>
}

export interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: OtlpAttribute[]
  status: { code?: number; message?: string }
}

export interface OtlpAttribute {
  key: string
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean }
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string
  received: () => Promise<Received[]>
  close: () => void
}

/** Starts the receiver on a free port of 127.0.0.1 with the given interpreter. */
export function startOtlpReceiver(python: string): Promise<OtlpReceiver> {
  const child = spawn(python, [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`otlp_receiver.py exited with ${code}: ${out}`)))
    child.stdout.on('data', (chunk) => {
      out += chunk
      const port = /listening (\d+)/.exec(out)?.[1]
      if (!port) return
      const url = `http://127.0.0.1:${port}`
      resolve({
        url,
        received: async () => (await (await fetch(`${url}/received`)).json()) as Received[],
        close: () => child.kill('SIGTERM'),
      })
    })
  })
}

/** Every span the receiver got, with its resource's `service.name`. */
export function receivedSpans(received: Received[]): Array<OtlpSpan & { service?: string }> {
  return received.flatMap(({ body }) =>
    (body?.resourceSpans ?? []).flatMap((rs) => {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value
        .stringValue
      return rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ ...span, service })))
    }),
  )
}
