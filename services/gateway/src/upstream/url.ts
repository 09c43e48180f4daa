/** A target base URL (which may carry a path prefix) joined with a request path and query. */
export function joinUrl(base: string, pathAndQuery: string): string {
  return `${base.replace(/\/+$/, '')}${pathAndQuery}`
}
