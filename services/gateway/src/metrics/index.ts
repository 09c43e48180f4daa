export { BREAKER_STATE_VALUE, createGatewayMetrics, type GatewayMetrics } from './gateway.ts'
export { Counter, Gauge, Histogram, METRICS_CONTENT_TYPE, Registry } from './registry.ts'
