export { type BreakerOptions, type BreakerState, CircuitBreaker } from './breaker.ts'
export {
  type ForwardOptions,
  type ForwardResult,
  forward,
  type UpstreamRequest,
} from './forward.ts'
export { HealthChecker, type HealthCheckOptions } from './health.ts'
export { TargetPool, type TargetPoolOptions } from './pool.ts'
export {
  type Send,
  type SendInit,
  sendWithFetch,
  type UpstreamResponse,
  UpstreamResponseTooLarge,
  UpstreamTimeout,
} from './send.ts'
export { joinUrl } from './url.ts'
