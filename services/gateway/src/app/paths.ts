// OIP: /v2/models/{m}[/versions/{v}][/infer|/ready|...]; KServe V1: /v1/models/{m}[:predict].
const MODEL_PATHS = [/^\/v2\/models\/([^/]+)(?:\/|$)/, /^\/v1\/models\/([^/:]+)(?::[a-z]+)?$/]

/** The model a request addresses, from an OIP or KServe V1 path; undefined for other paths. */
export function modelFromPath(path: string): string | undefined {
  for (const pattern of MODEL_PATHS) {
    const encoded = pattern.exec(path)?.[1]
    if (encoded === undefined) continue
    try {
      return decodeURIComponent(encoded)
    } catch {
      return undefined
    }
  }
  return undefined
}
