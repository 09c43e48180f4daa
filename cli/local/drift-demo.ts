// The drift demo: weather traffic through the gateway whose distribution shifts from the seasons
// the model was trained on to the winter after, and what the platform does about it — drift detected,
// a retraining job, a candidate gated against production, a canary, and its promotion or
// rollback. Everything goes over HTTP, so it runs against any local platform.
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { THRESHOLDS } from '../../dashboards/rules/thresholds.ts'
import {
  type AuditEntry,
  type ModelView,
  RegistryClient,
} from '../../services/registry/src/index.ts'
import { bearer } from '../../services/shared/credentials/index.ts'
import { loadSeattleWeather, type WeatherDay } from '../../training/datasets/index.ts'
import { createRandom } from '../../training/train/index.ts'

const MODEL = 'weather'
const DRIFT_ALERT = 'InferaDatasetDriftPersistent'
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const
const SEED = 7

export interface DemoEndpoints {
  gateway: string
  drift: string
  registry: string
  apiKey: string
  /** A token with scope drift:labels: the demo posts the ground truth as the labeller. */
  labelsToken: string
  /** The gateway's scrape token: without it, the gateway's counts are left out of the metrics. */
  gatewayMetricsToken?: string
}

export interface DriftDemoOptions {
  /** Requests sent between two looks at what the platform did. */
  chunk?: number
  concurrency?: number
  /** The most shifted requests sent while waiting for each step. */
  maxRequests?: number
  log?: (line: string) => void
}

interface Evaluation {
  version: string
  reference_rows: number
  window: { id: string; rows: number }
  drift: {
    dataset_drift: boolean
    share_drifted: number
    features: Record<string, { drifted: boolean }>
  }
  performance?: { accuracy?: number }
}

interface RetrainJob {
  id: string
  status: string
  version: string
  details: Record<string, unknown>
}

export interface DriftDemoResult {
  requests: { sent: number; failed: number }
  baseline: Evaluation | undefined
  shifted: Evaluation[]
  job: RetrainJob | undefined
  candidate: number | undefined
  outcome: 'promoted' | 'rolled back' | 'refused by the gate' | 'no retraining' | 'timed out'
  production: number | undefined
  /** Drifted windows in a row when the job started, as the drift alert reads them. */
  streak: number | undefined
  /** The first window the new production version was watched over, against its own reference. */
  after: Evaluation | undefined
  audit: AuditEntry[]
  metrics: Record<string, number> | undefined
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`

export async function runDriftDemo(
  endpoints: DemoEndpoints,
  { chunk = 100, concurrency = 8, maxRequests = 20_000, log = console.log }: DriftDemoOptions = {},
): Promise<DriftDemoResult> {
  const registry = new RegistryClient(endpoints.registry)
  const days = await loadSeattleWeather()
  // The model learnt all seasons of 2012–2014; the shifted traffic is the winter after.
  const trainingSeasons = days.filter((d) => d.date < '2015')
  const winter = days.filter((d) => d.date >= '2015-01' && d.date < '2015-04')
  const random = createRandom(SEED)
  const requests = { sent: 0, failed: 0 }
  let nextId = 0

  const getJson = async <T>(url: string): Promise<T> => {
    const response = await fetch(url)
    if (!response.ok)
      throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
    return (await response.json()) as T
  }
  const rowsSeen = async () => {
    const { models } = await getJson<{ models: { model: string; rows_seen?: number }[] }>(
      `${endpoints.drift}/v1/drift/models`,
    )
    // A version drift can't watch (no reference) is listed without rows.
    return models.filter((m) => m.model === MODEL).reduce((sum, m) => sum + (m.rows_seen ?? 0), 0)
  }
  const history = async () =>
    (await getJson<{ evaluations: Evaluation[] }>(`${endpoints.drift}/v1/drift/${MODEL}/history`))
      .evaluations

  /** Sends `count` days as predictions, then their labels once the drift service has the rows. */
  const send = async (pool: WeatherDay[], count: number) => {
    const before = await rowsSeen()
    const labels: { request_id: string; label: string }[] = []
    let left = count
    const worker = async () => {
      while (left > 0) {
        left--
        const day = pool[Math.floor(random.next() * pool.length)] as WeatherDay
        const id = `demo-${process.pid}-${nextId++}`
        const instance = Object.fromEntries(FEATURES.map((f) => [f, day[f]]))
        const response = await fetch(`${endpoints.gateway}/v1/models/${MODEL}:predict`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${endpoints.apiKey}`,
            'content-type': 'application/json',
            'x-request-id': id,
          },
          body: JSON.stringify({ instances: [instance] }),
        }).catch(() => undefined)
        requests.sent++
        if (!response?.ok) {
          requests.failed++
          log(
            `  request failed: ${response ? `${response.status} ${await response.text()}` : 'no answer'}`,
          )
          continue
        }
        await response.arrayBuffer()
        labels.push({ request_id: id, label: day.weather })
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    // Ground truth arrives after the prediction: the capture must reach the drift service first.
    await until(async () => (await rowsSeen()) >= before + labels.length, 30_000)
    const response = await fetch(`${endpoints.drift}/v1/drift/${MODEL}/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(endpoints.labelsToken) },
      body: JSON.stringify(labels),
    })
    // Without labels there is nothing to retrain on: a refusal ends the demo, saying why.
    if (!response.ok)
      throw new Error(
        `the drift service refused the labels: ${response.status} ${await response.text()}`,
      )
    await response.arrayBuffer()
  }

  const seen = new Set<string>()
  /** Evaluations not printed yet, oldest first. */
  const newEvaluations = async () => {
    const fresh = (await history()).filter((e) => !seen.has(e.window.id)).reverse()
    for (const e of fresh) {
      seen.add(e.window.id)
      const drifted = Object.entries(e.drift.features)
        .filter(([, f]) => f.drifted)
        .map(([name]) => name)
      log(
        `  window of version ${e.version} (${e.window.rows} rows against ${e.reference_rows} of its reference): ` +
          `${percent(e.drift.share_drifted)} of columns drifted` +
          `${drifted.length ? ` (${drifted.join(', ')})` : ''}` +
          `${e.performance?.accuracy === undefined ? '' : `, accuracy ${percent(e.performance.accuracy)}`}`,
      )
    }
    return fresh
  }
  const show = () => registry.show(MODEL)
  const result = (
    outcome: DriftDemoResult['outcome'],
    rest: Partial<DriftDemoResult>,
    model: ModelView,
  ): DriftDemoResult => ({
    requests,
    baseline: undefined,
    shifted: [],
    job: undefined,
    streak: undefined,
    candidate: undefined,
    after: undefined,
    metrics: undefined,
    ...rest,
    outcome,
    production: model.aliases.production?.version,
    audit: model.audit,
  })

  const start = await show()
  const from = start.aliases.production?.version
  log(`\n1. ${MODEL} version ${from} serves. Traffic like its training data (2012–2014):`)
  let baseline: Evaluation | undefined
  while (!baseline && requests.sent < maxRequests) {
    await send(trainingSeasons, chunk)
    baseline = (await newEvaluations()).at(-1)
  }

  log('\n2. The traffic shifts to the winter of 2015 (January to March):')
  const shifted: Evaluation[] = []
  let job: RetrainJob | undefined
  const sentBeforeShift = requests.sent
  while (!job && requests.sent - sentBeforeShift < maxRequests) {
    await send(winter, chunk)
    shifted.push(...(await newEvaluations()))
    job = (
      await getJson<{ jobs: RetrainJob[] }>(`${endpoints.drift}/v1/drift/${MODEL}/retrain-jobs`)
    ).jobs.find((j) => j.status !== 'started')
  }
  if (!job) return result('no retraining', { baseline, shifted }, await show())

  const candidate = Number(job.details.version) || undefined
  log(
    `\n3. Drift persisted: retraining job ${job.id} ${job.status}` +
      `${candidate ? `; version ${candidate} registered as a candidate` : ''}` +
      `${job.details.error ? ` (${job.details.error})` : ''}`,
  )
  const streak = (await scrape(endpoints.drift))('infera_drift_consecutive_drifted_windows', {
    model: MODEL,
  })
  log(
    `   alert ${DRIFT_ALERT}: ${streak >= THRESHOLDS.driftWindows ? 'firing' : 'not firing'} ` +
      `(infera_drift_consecutive_drifted_windows ${streak}, threshold ${THRESHOLDS.driftWindows})`,
  )
  if (job.details.gate_summary) log(`   gate: ${job.details.gate_summary}`)
  let model = await show()
  if (!candidate || model.aliases.canary?.version !== candidate) {
    return result('refused by the gate', { baseline, shifted, job, streak, candidate }, model)
  }

  log(`\n4. Version ${candidate} takes ${model.aliases.canary.weight}% of the traffic as a canary:`)
  const sentBeforeCanary = requests.sent
  while (
    model.aliases.canary?.version === candidate &&
    requests.sent - sentBeforeCanary < maxRequests
  ) {
    await send(winter, chunk)
    await newEvaluations()
    log(`  ${await canaryLine(endpoints.registry)}`)
    model = await show()
  }
  const promoted = model.aliases.production?.version === candidate
  if (model.aliases.canary?.version === candidate) {
    return result('timed out', { baseline, shifted, job, streak, candidate }, model)
  }
  const decision = model.audit.at(-1)
  log(
    `\n5. ${promoted ? `Version ${candidate} is production` : `Version ${candidate} was rolled back`}: ` +
      `${decision?.reason ?? ''}`,
  )
  let after: Evaluation | undefined
  if (promoted) {
    log(`   Version ${candidate} is watched against its own training data now:`)
    while (!after && requests.sent < sentBeforeCanary + 2 * maxRequests) {
      await send(winter, chunk)
      after = (await newEvaluations()).find((e) => e.version === String(candidate))
    }
  }
  model = await show()
  log('\nAudit trail:')
  for (const e of model.audit) {
    log(`  ${e.at}  ${e.actor.padEnd(18)} ${e.action.padEnd(12)} v${e.version}  ${e.reason}`)
  }
  const metrics = await lifecycleMetrics(endpoints)
  log('\nMetrics:')
  for (const [series, value] of Object.entries(metrics)) log(`  ${series.padEnd(56)} ${value}`)
  log(`\n${requests.sent} requests sent through the gateway, ${requests.failed} failed.`)
  return result(
    promoted ? 'promoted' : 'rolled back',
    { baseline, shifted, job, streak, candidate, after, metrics },
    model,
  )
}

/** A /metrics page, and the sum of a metric's series whose labels match (NaN if unreadable). */
async function scrape(url: string, token?: string) {
  const response = await fetch(`${url}/metrics`, { headers: bearer(token) })
  const families = response.ok ? parsePrometheusTextFormat(await response.text()) : []
  return (name: string, labels: Record<string, string> = {}) => {
    const series = (families.find((f) => f.name === name)?.metrics ?? []).filter((m) =>
      Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
    )
    return series.length ? series.reduce((sum, m) => sum + Number(m.value), 0) : Number.NaN
  }
}

/** The canary analysis as the registry's metrics show it. */
async function canaryLine(registryUrl: string) {
  const metric = await scrape(registryUrl)
  const model = { model: MODEL }
  const requests = metric('infera_canary_requests', model)
  if (Number.isNaN(requests)) return 'no canary under analysis'
  return (
    `canary analysis: ${requests} requests, ` +
    `${percent(metric('infera_canary_error_ratio', model))} errors, ` +
    `${percent(metric('infera_canary_slow_ratio', model))} slow, ` +
    `${metric('infera_canary_elapsed_seconds', model).toFixed(0)} s`
  )
}

/** Every step of the story as the services count it, for dashboards and alerts. */
async function lifecycleMetrics(endpoints: DemoEndpoints) {
  const [registry, drift, gateway] = await Promise.all([
    scrape(endpoints.registry),
    scrape(endpoints.drift),
    scrape(endpoints.gateway, endpoints.gatewayMetricsToken),
  ])
  const model = { model: MODEL }
  return {
    'infera_drift_retrain_jobs_total{status="completed"}': drift(
      'infera_drift_retrain_jobs_total',
      {
        ...model,
        status: 'completed',
      },
    ),
    'infera_drift_retrain_candidates_total{gate="passed"}': drift(
      'infera_drift_retrain_candidates_total',
      { ...model, gate: 'passed' },
    ),
    'infera_registry_transitions_total{action="register"}': registry(
      'infera_registry_transitions_total',
      { ...model, action: 'register' },
    ),
    'infera_registry_transitions_total{action="promote"}': registry(
      'infera_registry_transitions_total',
      { ...model, action: 'promote' },
    ),
    'infera_canary_decisions_total{verdict="promote"}': registry('infera_canary_decisions_total', {
      ...model,
      verdict: 'promote',
    }),
    'infera_gateway_requests_total{variant="canary"}': gateway('infera_gateway_requests_total', {
      route: MODEL,
      variant: 'canary',
    }),
    'infera_gateway_requests_total{variant="production"}': gateway(
      'infera_gateway_requests_total',
      { route: MODEL, variant: 'production' },
    ),
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
