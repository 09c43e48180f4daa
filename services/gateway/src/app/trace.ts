const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

function randomHex(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes))
  return Array.from(values, (byte) => byte.toString(16).padStart(2, '0')).join('')
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
