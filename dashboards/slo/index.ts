// The service level objectives: the one definition that the recording rules, the burn-rate alerts,
// the SLO dashboard and the load tests' thresholds are all generated from.
// No imports at all: k6 loads this file as it is, and the Pulumi program imports it too.

/** The services whose requests the SLIs count. */
export type SloService = 'gateway' | 'inference'

export type Sli =
  /** The share of requests not answered with a 5xx. */
  | { kind: 'availability' }
  /** The share of requests answered within `thresholdSeconds` (a bucket bound of the histogram). */
  | { kind: 'latency'; thresholdSeconds: number }

export interface Slo {
  /** Unique and kebab-case: the `slo` label of every series recorded and alert raised for it. */
  name: string
  service: SloService
  description: string
  sli: Sli
  /** The share of good requests promised, e.g. 0.999. */
  objective: number
  /** The rolling window the error budget is counted over. */
  windowDays: number
  /** One SLI and one error budget per model (the service's model label) rather than one in all. */
  perModel: boolean
}

export const slos = [
  {
    name: 'gateway-availability',
    service: 'gateway',
    description: 'Requests the gateway routes to a model that are not answered with a 5xx.',
    sli: { kind: 'availability' },
    objective: 0.999,
    windowDays: 30,
    perModel: false,
  },
  {
    name: 'gateway-latency',
    service: 'gateway',
    description: 'Requests the gateway routes to a model that are answered within 250 ms.',
    sli: { kind: 'latency', thresholdSeconds: 0.25 },
    objective: 0.99,
    windowDays: 30,
    perModel: false,
  },
  {
    name: 'inference-availability',
    service: 'inference',
    description: 'Inference requests to each model that are not answered with a 5xx.',
    sli: { kind: 'availability' },
    objective: 0.999,
    windowDays: 30,
    perModel: true,
  },
  {
    name: 'inference-latency',
    service: 'inference',
    description: 'Inference requests to each model that are answered within 100 ms.',
    sli: { kind: 'latency', thresholdSeconds: 0.1 },
    objective: 0.99,
    windowDays: 30,
    perModel: true,
  },
] as const satisfies readonly Slo[]

/** The share of requests allowed to be bad over the SLO's window. */
export const errorBudget = (slo: Slo) => Number((1 - slo.objective).toPrecision(12))

export type Severity = 'page' | 'ticket'

/** A burn-rate condition: the error ratio over both windows above `burnRate` × the budget. */
export interface BurnWindow {
  severity: Severity
  longMinutes: number
  shortMinutes: number
  /** The share of the whole window's budget that burning at this rate spends in the long window. */
  budgetSpent: number
  burnRate: number
}

// The SRE workbook's multiwindow, multi-burn-rate policy (as Sloth and Pyrra generate it), stated
// as the share of the budget spent within the long window; the short window is a twelfth of the
// long one, so an alert stops soon after the burning does.
const POLICY = [
  { severity: 'page', longMinutes: 60, budgetSpent: 0.02 },
  { severity: 'page', longMinutes: 6 * 60, budgetSpent: 0.05 },
  { severity: 'ticket', longMinutes: 24 * 60, budgetSpent: 0.1 },
  { severity: 'ticket', longMinutes: 3 * 24 * 60, budgetSpent: 0.1 },
] as const

/** The burn-rate windows of an SLO: for 30 days, 14.4× and 6× page, 3× and 1× open a ticket. */
export function burnWindows(slo: Slo): BurnWindow[] {
  const windowMinutes = slo.windowDays * 24 * 60
  return POLICY.map(({ severity, longMinutes, budgetSpent }) => ({
    severity,
    longMinutes,
    shortMinutes: longMinutes / 12,
    budgetSpent,
    burnRate: Number(((budgetSpent * windowMinutes) / longMinutes).toPrecision(12)),
  }))
}

/** A Prometheus duration for whole minutes: `5m`, `1h`, `3d`. */
export function duration(minutes: number): string {
  if (minutes % (24 * 60) === 0) return `${minutes / (24 * 60)}d`
  if (minutes % 60 === 0) return `${minutes / 60}h`
  return `${minutes}m`
}
