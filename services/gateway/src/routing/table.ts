import { type RouteConfig, validateRoutes } from '../config/index.ts'
import type { Log } from '../context/index.ts'
import { BREAKER_STATE_VALUE, type GatewayMetrics } from '../metrics/index.ts'
import type { TargetPool } from '../upstream/index.ts'

export interface RoutingTableOptions {
  /** Every target any route has named: breakers, health checks and their metrics outlive a route. */
  pool: TargetPool
  metrics: GatewayMetrics
  log: Log
}

/** The routes in force, replaceable while serving; each target they name joins the pool. */
export class RoutingTable {
  #routes: readonly RouteConfig[] = []
  readonly #options: RoutingTableOptions

  constructor(routes: readonly RouteConfig[], options: RoutingTableOptions) {
    this.#options = options
    this.#apply(routes)
  }

  readonly getRoutes = (): readonly RouteConfig[] => this.#routes

  /**
   * Replaces the routes, validated like the config file's, for the next request. Throws
   * GatewayConfigError naming a bad key, keeping the routes in force.
   */
  readonly setRoutes = (next: unknown): void => {
    const validated = validateRoutes(next, 'routes')
    this.#apply(validated)
    this.#options.log({ event: 'routes', routes: validated.map((route) => route.model) })
  }

  /** Every route has a variant with a target that is ready to take requests. */
  ready(): boolean {
    const { pool } = this.#options
    return this.#routes.every((route) =>
      route.variants.some((variant) => variant.targets.some((target) => pool.ready(target))),
    )
  }

  #apply(next: readonly RouteConfig[]): void {
    const { pool, metrics } = this.#options
    for (const target of next.flatMap((route) => route.variants.flatMap((v) => v.targets))) {
      if (!pool.add(target)) continue
      metrics.breakerState.set({ target }, BREAKER_STATE_VALUE.closed)
      metrics.upstreamHealthy.set({ target }, 1)
    }
    // Reset, so the variants of replaced routes leave the exposition.
    metrics.routeWeight.reset()
    metrics.routeTargetInfo.reset()
    for (const route of next) {
      for (const { name, version = '', weight, targets } of route.variants) {
        metrics.routeWeight.set({ route: route.model, variant: name, version }, weight)
        for (const target of targets) {
          metrics.routeTargetInfo.set({ route: route.model, variant: name, target }, 1)
        }
      }
    }
    this.#routes = next
  }
}
