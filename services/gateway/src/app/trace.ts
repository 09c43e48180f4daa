const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

// Ids come from a pool filled 4 KiB at a time: one getRandomValues call per id was a measurable
// share of the gateway's CPU under load.
const pool = new Uint8Array(4096)
let next = pool.length
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

function randomHex(bytes: number): string {
  if (next + bytes > pool.length) {
    crypto.getRandomValues(pool)
    next = 0
  }
  let hex = ''
  for (let i = 0; i < bytes; i++) hex += HEX[pool[next++] as number]
  return hex
}

/**
 * The W3C `traceparent` to send upstream: the caller's trace continues with the gateway as the
 * new parent; an absent or malformed header starts a trace, unsampled as the gateway records no
 * spans of its own.
 */
export function continueTrace(incoming: string | undefined): {
  traceId: string
  traceparent: string
} {
  const match = incoming ? TRACEPARENT.exec(incoming.trim()) : null
  const [, version, traceId, parentId, flags] = match ?? []
  const valid =
    version !== undefined &&
    version !== 'ff' &&
    traceId !== undefined &&
    !/^0+$/.test(traceId) &&
    parentId !== undefined &&
    !/^0+$/.test(parentId)
  if (valid && flags !== undefined) {
    return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-${flags}` }
  }
  const started = randomHex(16)
  return { traceId: started, traceparent: `00-${started}-${randomHex(8)}-00` }
}
