import { lifecycleAnnotations } from '../annotations/index.ts'
import {
  board,
  datasourceVariable,
  labelVariable,
  stateTimeline,
  timeSeries,
} from '../panels/index.ts'
import { mean, percentiles, rate } from '../panels/queries.ts'
import { eventsWithin } from '../promql/counters.ts'

const REQUESTS = 'infera_inference_requests_total'
const byVersion = 'model=~"$model",version=~"$version"'
const byModel = 'model=~"$model"'
const version = '{{model}} v{{version}}'

// infera_model_state is one-hot over these states; each gets a number so one timeline shows them.
const STATES = [
  { state: 'LOADING', color: 'blue' },
  { state: 'READY', color: 'green' },
  { state: 'UNLOADING', color: 'yellow' },
  { state: 'UNAVAILABLE', color: 'red' },
]
const stateCode = `max by (model, version) (\n${STATES.map(
  ({ state }, i) => `  infera_model_state{${byVersion},state="${state}"} * ${i + 1}`,
).join('\n  or\n')}\n)`

export const inferenceDashboard = () =>
  board({
    uid: 'infera-inference',
    title: 'Infera / Inference',
    description: 'The inference service per model and version: traffic, latency, batching, models.',
    variables: [
      datasourceVariable(),
      labelVariable('model', 'Model', `${REQUESTS}{model!="unknown"}`),
      labelVariable('version', 'Version', `${REQUESTS}{model=~"$model"}`),
    ],
    // What serves changes with these: a latency or error step beside one reads as its effect.
    annotations: lifecycleAnnotations(['promotions', 'canary'], byModel),
    rows: [
      {
        title: 'Traffic',
        panels: [
          timeSeries({
            title: 'Request rate',
            description: 'Inference requests per second, both protocols.',
            unit: 'reqps',
            queries: [{ expr: rate(REQUESTS, byVersion, 'model, version'), legend: version }],
          }),
          timeSeries({
            title: 'Error ratio',
            description:
              'Share of requests answered with a 5xx (what the availability SLO counts).',
            unit: 'percentunit',
            min: 0,
            queries: [
              {
                expr: `${rate(REQUESTS, `${byVersion},status=~"5.."`, 'model, version')} / ${rate(REQUESTS, byVersion, 'model, version')}`,
                legend: version,
              },
            ],
          }),
          timeSeries({
            title: 'Responses by status',
            description: 'Requests per second by HTTP status: 4xx are bad requests, 5xx failures.',
            unit: 'reqps',
            stack: 'normal',
            queries: [{ expr: rate(REQUESTS, byVersion, 'status'), legend: '{{status}}' }],
          }),
          timeSeries({
            title: 'In flight',
            description: 'Requests being handled now, queued or running.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (model) (infera_inference_inflight_requests{${byModel}})`,
                legend: '{{model}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Latency and batching',
        panels: [
          timeSeries({
            title: 'Request latency',
            description: 'From receiving a request to its response: p50, p95 and p99.',
            unit: 's',
            queries: percentiles(
              'infera_inference_request_duration_seconds',
              byVersion,
              'model, version',
              version,
            ),
          }),
          timeSeries({
            title: 'Queue time',
            description: 'How long requests waited in the batch queue before their batch ran.',
            unit: 's',
            queries: percentiles(
              'infera_inference_queue_duration_seconds',
              byVersion,
              'model, version',
              version,
            ),
          }),
          timeSeries({
            title: 'Batch size',
            description: 'Rows per executed batch, on average: above 1, batching is at work.',
            unit: 'short',
            queries: [
              {
                expr: mean('infera_inference_batch_size', byVersion, 'model, version'),
                legend: version,
              },
            ],
          }),
          timeSeries({
            title: 'Compute time',
            description: 'One session.run over a batch: p50, p95 and p99.',
            unit: 's',
            queries: percentiles(
              'infera_inference_compute_duration_seconds',
              byVersion,
              'model, version',
              version,
            ),
          }),
          timeSeries({
            title: 'Queue depth',
            description:
              'Requests waiting in the batch queue; past max_queue_size they are rejected.',
            unit: 'short',
            queries: [
              {
                expr: `max by (model, version) (infera_inference_queue_depth{${byVersion}})`,
                legend: version,
              },
            ],
          }),
          timeSeries({
            title: 'Rejected',
            description:
              'Requests refused before running, by reason: queue full or model unavailable.',
            unit: 'reqps',
            queries: [
              {
                expr: rate('infera_inference_rejected_total', byModel, 'model, reason'),
                legend: '{{model}}: {{reason}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Models',
        panels: [
          stateTimeline({
            title: 'Model state',
            description: 'The state of each loaded model version.',
            unit: 'none',
            width: 24,
            queries: [{ expr: stateCode, legend: version }],
            states: {
              0: { text: 'unloaded', color: 'transparent' },
              ...Object.fromEntries(
                STATES.map(({ state, color }, i) => [i + 1, { text: state, color }]),
              ),
            },
          }),
          timeSeries({
            title: 'Model loads',
            description:
              'Loads of model versions by result; failures keep the previous load serving.',
            unit: 'short',
            queries: [
              {
                expr: eventsWithin(
                  'infera_model_loads_total',
                  byModel,
                  'model, result',
                  '$__rate_interval',
                ),
                legend: '{{model}}: {{result}}',
              },
            ],
          }),
          timeSeries({
            title: 'Load time',
            description: 'Time to load and warm up a model version, on average.',
            unit: 's',
            queries: [
              {
                expr: `max by (model, version) (infera_model_load_duration_seconds_sum{${byVersion}} / infera_model_load_duration_seconds_count{${byVersion}})`,
                legend: version,
              },
            ],
          }),
        ],
      },
      {
        title: 'Capture',
        panels: [
          timeSeries({
            title: 'Captured rows',
            description:
              'Prediction rows written to the capture sink (and on to drift monitoring).',
            unit: 'rowsps',
            queries: [
              { expr: rate('infera_capture_records_total', byModel, 'model'), legend: '{{model}}' },
            ],
          }),
          timeSeries({
            title: 'Dropped rows',
            description: 'Captured rows lost, by reason: buffer full or sink failure.',
            unit: 'rowsps',
            queries: [
              {
                expr: rate('infera_capture_dropped_total', byModel, 'model, reason'),
                legend: '{{model}}: {{reason}}',
              },
            ],
          }),
        ],
      },
    ],
  })
