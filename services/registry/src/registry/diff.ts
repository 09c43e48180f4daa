import { isDeepStrictEqual } from 'node:util'
import type { ValueChange, VersionDiff, VersionView } from '../types.ts'

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Leaves by dotted path; arrays (feature lists, labels) are compared whole. */
function leaves(value: unknown, path = '', out = new Map<string, unknown>()) {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value))
      leaves(child, path ? `${path}.${key}` : key, out)
  } else if (path) out.set(path, value)
  return out
}

/** What differs between two JSON documents, path by path; a missing value is null. */
export function jsonChanges(from: unknown, to: unknown): ValueChange[] {
  const [a, b] = [leaves(from), leaves(to)]
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort()
  return paths.flatMap((path) => {
    const [x, y] = [a.get(path) ?? null, b.get(path) ?? null]
    if (isDeepStrictEqual(x, y)) return []
    const delta = typeof x === 'number' && typeof y === 'number' ? { delta: y - x } : {}
    return [{ path, from: x, to: y, ...delta }]
  })
}

/** Config, metrics and lineage changes, and which files differ, from `from` to `to`. */
export function diffVersions(from: VersionView, to: VersionView): VersionDiff {
  const names = [...new Set([...Object.keys(from.files), ...Object.keys(to.files)])].sort()
  return {
    model: from.model,
    from: from.version,
    to: to.version,
    stage: { from: from.stage, to: to.stage },
    files: Object.fromEntries(
      names.map((name) => {
        const [a, b] = [from.files[name]?.sha256 ?? null, to.files[name]?.sha256 ?? null]
        return [name, { from: a, to: b, changed: a !== b }]
      }),
    ),
    config: jsonChanges(from.config, to.config),
    metrics: jsonChanges(from.metrics, to.metrics),
    lineage: jsonChanges(from.lineage, to.lineage),
  }
}
