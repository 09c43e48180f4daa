import { BREAKER_STATE_VALUE } from '../../services/gateway/src/metrics/index.ts'
import {
  board,
  datasourceVariable,
  labelVariable,
  type PanelBuilder,
  stateTimeline,
  timeSeries,
} from '../panels/index.ts'
import { percentiles, quantile, rate } from '../panels/queries.ts'

const REQUESTS = 'infera_gateway_requests_total'
// The request counter has every label; the histograms only route and variant.
const requests = 'route=~"$route",tenant=~"$tenant",variant=~"$variant"'
const routed = 'route=~"$route",variant=~"$variant"'
const variant = '{{route}} / {{variant}}'

/** A per-target series, of the targets the picked routes and variants send to. */
const ofRoutedTargets = (metric: string) =>
  `${metric} and on (target) infera_gateway_route_target_info{${routed}}`

const traffic: PanelBuilder[] = [
  timeSeries({
    title: 'Requests by route and variant',
    description: 'Requests per second the gateway answered, by model route and variant.',
    unit: 'reqps',
    queries: [{ expr: rate(REQUESTS, requests, 'route, variant'), legend: variant }],
  }),
  timeSeries({
    title: 'Requests by tenant',
    description: 'Requests per second by the tenant the API key or token belongs to.',
    unit: 'reqps',
    queries: [{ expr: rate(REQUESTS, requests, 'tenant'), legend: '{{tenant}}' }],
  }),
  timeSeries({
    title: 'Responses by status',
    description:
      '401/403 refused by auth, 429 rate limited, 5xx failed upstream or in the gateway.',
    unit: 'reqps',
    stack: 'normal',
    queries: [{ expr: rate(REQUESTS, requests, 'status'), legend: '{{status}}' }],
  }),
  timeSeries({
    title: 'Rate limited',
    description: "Requests refused with 429 because the tenant's token bucket was empty.",
    unit: 'reqps',
    queries: [
      {
        expr: rate('infera_gateway_rate_limited_total', 'tenant=~"$tenant"', 'tenant'),
        legend: '{{tenant}}',
      },
    ],
  }),
]

const upstreams: PanelBuilder[] = [
  timeSeries({
    title: 'Upstream errors',
    description:
      '5xx answers: 502 no target answered, 503 every breaker open, 504 deadline passed.',
    unit: 'reqps',
    queries: [
      {
        expr: rate(REQUESTS, `${requests},status=~"5.."`, 'route, variant, status'),
        legend: `${variant}: {{status}}`,
      },
    ],
  }),
  timeSeries({
    title: 'Upstream latency',
    description: 'Time the upstream took to send response headers, per attempt.',
    unit: 's',
    queries: percentiles(
      'infera_gateway_upstream_duration_seconds',
      routed,
      'route, variant',
      variant,
    ),
  }),
  timeSeries({
    title: 'Request latency',
    description: 'Time from receiving a request to answering it, retries included.',
    unit: 's',
    queries: percentiles(
      'infera_gateway_request_duration_seconds',
      routed,
      'route, variant',
      variant,
    ),
  }),
  timeSeries({
    title: 'Retries',
    description: 'Attempts sent again to another target after a connection error or a 503.',
    unit: 'reqps',
    queries: [
      {
        expr: rate('infera_gateway_retries_total', 'route=~"$route"', 'route'),
        legend: '{{route}}',
      },
    ],
  }),
  stateTimeline({
    title: 'Circuit breakers',
    description: 'The breaker of each upstream target the routes and variants picked send to.',
    unit: 'none',
    queries: [
      {
        expr: `max by (target) (${ofRoutedTargets('infera_gateway_breaker_state')})`,
        legend: '{{target}}',
      },
    ],
    states: {
      [BREAKER_STATE_VALUE.closed]: { text: 'closed', color: 'green' },
      [BREAKER_STATE_VALUE['half-open']]: { text: 'half-open', color: 'orange' },
      [BREAKER_STATE_VALUE.open]: { text: 'open', color: 'red' },
    },
  }),
  stateTimeline({
    title: 'Health checks',
    description:
      'The active health check verdict of each upstream target the routes and variants picked send to.',
    unit: 'none',
    queries: [
      {
        expr: `min by (target) (${ofRoutedTargets('infera_gateway_upstream_healthy')})`,
        legend: '{{target}}',
      },
    ],
    states: { 0: { text: 'unhealthy', color: 'red' }, 1: { text: 'healthy', color: 'green' } },
  }),
]

const canaryAndShadow: PanelBuilder[] = [
  timeSeries({
    title: 'Canary split',
    description: "Each variant's share of its route's traffic.",
    unit: 'percentunit',
    stack: 'percent',
    queries: [
      {
        expr: `${rate(REQUESTS, `${requests},route!=""`, 'route, variant')} / on (route) group_left ${rate(REQUESTS, `${requests},route!=""`, 'route')}`,
        legend: variant,
      },
    ],
  }),
  timeSeries({
    title: 'Shadow disagreement',
    description: "Share of shadow responses whose outputs differ from the primary's.",
    unit: 'percentunit',
    min: 0,
    queries: [
      {
        expr: `${rate('infera_gateway_shadow_disagreements_total', 'route=~"$route"', 'route')} / ${rate('infera_gateway_shadow_requests_total', 'route=~"$route"', 'route')}`,
        legend: '{{route}}',
      },
    ],
  }),
  timeSeries({
    title: 'Shadow traffic',
    description:
      'Requests mirrored to shadow targets per second (left), and the p99 time a shadow took to answer (right).',
    unit: 'reqps',
    queries: [
      {
        expr: rate('infera_gateway_shadow_requests_total', 'route=~"$route"', 'route'),
        legend: '{{route}} mirrored',
      },
      {
        expr: quantile(0.99, 'infera_gateway_shadow_duration_seconds', 'route=~"$route"', 'route'),
        legend: '{{route}} p99',
        unit: 's',
      },
    ],
  }),
]

export const gatewayDashboard = () =>
  board({
    uid: 'infera-gateway',
    title: 'Infera / Gateway',
    description:
      'The edge gateway by route, tenant and variant: traffic, upstreams, canary, shadow.',
    variables: [
      datasourceVariable(),
      labelVariable('route', 'Model route', `${REQUESTS}{route!=""}`),
      labelVariable('tenant', 'Tenant', `${REQUESTS}{tenant!=""}`),
      labelVariable('variant', 'Variant', `${REQUESTS}{route=~"$route",variant!=""}`),
    ],
    rows: [
      { title: 'Traffic', panels: traffic },
      { title: 'Upstreams', panels: upstreams },
      { title: 'Canary and shadow', panels: canaryAndShadow },
    ],
  })
