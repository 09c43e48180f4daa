import type { Context } from 'hono'
import { pinVersion } from '../app/paths.ts'
import type { GatewayEnv } from '../context/index.ts'
import type { UpstreamRequest } from '../upstream/index.ts'

// Request headers the model servers need; credentials stay at the gateway.
const FORWARDED_REQUEST_HEADERS = [
  'content-type',
  'accept',
  'inference-header-content-length',
  'tracestate',
]
export const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'inference-header-content-length',
  'retry-after',
]

/** The headers among `names` that `get` finds. */
export function pickHeaders(
  get: (name: string) => string | null | undefined,
  names: readonly string[],
): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of names) {
    const value = get(name)
    if (value != null) headers[name] = value
  }
  return headers
}

/**
 * The request to send upstream: the client's method, path (pinned to `version` when it names
 * none) and query, the headers a model server needs, the request id and the continued trace.
 */
export function upstreamRequest(
  c: Context<GatewayEnv>,
  version: string | undefined,
  body: ArrayBuffer | undefined,
): UpstreamRequest {
  const headers = pickHeaders((name) => c.req.header(name), FORWARDED_REQUEST_HEADERS)
  headers['x-request-id'] = c.get('requestId')
  headers.traceparent = c.get('traceparent')
  // A Request's url is normalised already (by the runtime, or @hono/node-server): slicing it gives
  // URL's pathname and search without parsing it once more per request.
  const url = c.req.url
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  const queryStart = url.indexOf('?', pathStart)
  const path = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart)
  const query = queryStart < 0 ? '' : url.slice(queryStart)
  return {
    method: c.req.method,
    pathAndQuery: `${version ? pinVersion(path, version) : path}${query}`,
    headers,
    body,
  }
}
