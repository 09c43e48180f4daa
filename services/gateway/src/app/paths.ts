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

const UNVERSIONED = [
  /^(\/v2\/models\/[^/]+)(\/(?!versions\/).*)?$/,
  /^(\/v1\/models\/[^/:]+)(:[a-z]+)?$/,
]

/**
 * The path that addresses `version` of the model a path names, when it names no version itself:
 * `/v2/models/m/infer` → `/v2/models/m/versions/2/infer`, `/v1/models/m:predict` →
 * `/v1/models/m/versions/2:predict`. Other paths come back unchanged.
 */
export function pinVersion(path: string, version: string): string {
  for (const pattern of UNVERSIONED) {
    const match = pattern.exec(path)
    if (match) return `${match[1]}/versions/${version}${match[2] ?? ''}`
  }
  return path
}
