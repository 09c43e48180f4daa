/** Prometheus text exposition format 0.0.4, written by hand: prom-client needs Node. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Labels<L extends string> = Readonly<Record<L, string>>

const escapeHelp = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')
const escapeLabel = (text: string) =>
  text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return Number.isNaN(value) ? 'NaN' : String(value)
}

function formatLabels(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return ''
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`
}

/** One metric family: its series keyed by label values in `labelNames` order. */
abstract class Metric<L extends string, S> {
  protected readonly series = new Map<string, { labels: [string, string][]; state: S }>()
  readonly #type: 'counter' | 'gauge' | 'histogram'

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    type: 'counter' | 'gauge' | 'histogram',
  ) {
    this.#type = type
  }

  protected abstract initial(): S
  protected abstract lines(labels: [string, string][], state: S): string[]

  // On every request's path: the key is built without allocating more than the string.
  protected state(labels: Labels<L>): S {
    let key = ''
    for (const name of this.labelNames) key += `${labels[name]}\u0000`
    let entry = this.series.get(key)
    if (!entry) {
      const pairs = this.labelNames.map((name): [string, string] => [name, labels[name]])
      entry = { labels: pairs, state: this.initial() }
      this.series.set(key, entry)
    }
    return entry.state
  }

  expose(): string {
    const head = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.#type}`,
    ]
    const body = [...this.series.values()].flatMap(({ labels, state }) => this.lines(labels, state))
    return [...head, ...body].join('\n')
  }
}

abstract class ValueMetric<L extends string> extends Metric<L, { value: number }> {
  protected initial() {
    return { value: 0 }
  }
  protected lines(labels: [string, string][], state: { value: number }) {
    return [`${this.name}${formatLabels(labels)} ${formatNumber(state.value)}`]
  }
  /** The current value, 0 for a series never written. */
  get(labels: Labels<L>): number {
    return this.state(labels).value
  }
}

export class Counter<L extends string = never> extends ValueMetric<L> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, labelNames, 'counter')
  }
  inc(labels: Labels<L>, by = 1): void {
    if (by < 0) throw new RangeError(`${this.name}: a counter cannot decrease`)
    this.state(labels).value += by
  }
}

export class Gauge<L extends string = never> extends ValueMetric<L> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, labelNames, 'gauge')
  }
  set(labels: Labels<L>, value: number): void {
    this.state(labels).value = value
  }
  /** Drops every series, so those not written again vanish from the exposition. */
  reset(): void {
    this.series.clear()
  }
}

interface HistogramState {
  counts: number[]
  sum: number
  count: number
}

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly #buckets: readonly number[]

  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    super(name, help, labelNames, 'histogram')
    this.#buckets = [...buckets].sort((a, b) => a - b)
  }

  protected initial(): HistogramState {
    return { counts: this.#buckets.map(() => 0), sum: 0, count: 0 }
  }

  protected lines(labels: [string, string][], state: HistogramState): string[] {
    // Buckets are cumulative in the exposition format; observe() counts each bucket alone.
    let cumulative = 0
    const bucketLines = this.#buckets.map((bound, i) => {
      cumulative += state.counts[i] ?? 0
      const le = formatLabels([...labels, ['le', formatNumber(bound)]])
      return `${this.name}_bucket${le} ${cumulative}`
    })
    const inf = formatLabels([...labels, ['le', '+Inf']])
    return [
      ...bucketLines,
      `${this.name}_bucket${inf} ${state.count}`,
      `${this.name}_sum${formatLabels(labels)} ${formatNumber(state.sum)}`,
      `${this.name}_count${formatLabels(labels)} ${state.count}`,
    ]
  }

  observe(labels: Labels<L>, value: number): void {
    const state = this.state(labels)
    const index = this.#buckets.findIndex((bound) => value <= bound)
    if (index >= 0) state.counts[index] = (state.counts[index] ?? 0) + 1
    state.sum += value
    state.count += 1
  }

  /** Observations so far of one series. */
  count(labels: Labels<L>): number {
    return this.state(labels).count
  }
}

interface Exposable {
  readonly name: string
  expose(): string
}

export class Registry {
  readonly #metrics: Exposable[] = []

  register<M extends Exposable>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name)) {
      throw new Error(`metric ${metric.name} is already registered`)
    }
    this.#metrics.push(metric)
    return metric
  }

  expose(): string {
    return `${this.#metrics.map((metric) => metric.expose()).join('\n')}\n`
  }
}
