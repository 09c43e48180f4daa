export interface WeightedVariant {
  readonly name: string
  readonly weight: number
}

/** 32-bit FNV-1a over the UTF-8 bytes: stable across runtimes, so a user keeps a variant. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * Picks a variant by weight (percentages summing to 100). With a sticky key the point on the
 * 0–100 line comes from its hash, so the same key always lands on the same variant.
 */
export function chooseVariant<V extends WeightedVariant>(
  variants: readonly V[],
  random: () => number,
  stickyKey?: string,
): V {
  const point = stickyKey === undefined ? random() * 100 : (fnv1a(stickyKey) % 10_000) / 100
  let upper = 0
  for (const variant of variants) {
    upper += variant.weight
    if (point < upper) return variant
  }
  // Only reachable through rounding of the weights' sum: the last variant with weight takes it.
  const last = variants.findLast((variant) => variant.weight > 0) ?? variants.at(-1)
  if (!last) throw new Error('a route needs at least one variant')
  return last
}

/** The route serving `model`: its own, else the catch-all `*`. */
export function findRoute<R extends { readonly model: string }>(
  routes: readonly R[],
  model: string,
): R | undefined {
  return (
    routes.find((route) => route.model === model) ?? routes.find((route) => route.model === '*')
  )
}

export interface TargetState {
  /** The breaker lets a request through (closed, or half-open with no probe out). */
  available(target: string): boolean
  healthy(target: string): boolean
}

/**
 * Round robin per key over the targets a request may use, in the order to try them: healthy ones
 * first; unhealthy ones after, since a health check can lag behind a recovered target.
 */
export class RoundRobin {
  readonly #next = new Map<string, number>()

  // One pass and two arrays: it runs for every proxied request.
  order(key: string, targets: readonly string[], state: TargetState): string[] {
    const start = this.#next.get(key) ?? 0
    this.#next.set(key, (start + 1) % Math.max(targets.length, 1))
    const healthy: string[] = []
    const unhealthy: string[] = []
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(start + i) % targets.length] as string
      if (!state.available(target)) continue
      if (state.healthy(target)) healthy.push(target)
      else unhealthy.push(target)
    }
    return unhealthy.length === 0 ? healthy : healthy.concat(unhealthy)
  }
}

export { RoutingTable, type RoutingTableOptions } from './table.ts'
