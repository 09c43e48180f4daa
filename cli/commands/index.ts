// Every command of `infera`: the top-level help lists them; each is loaded only when run.
import type { Command } from '../args.ts'

export interface Entry {
  /** One line in `infera --help`; the command's own --help says more. */
  summary: string
  /** Loaded on use, so an image that ships one service needs only that service's code. */
  load: () => Promise<{ command: Command }>
}

export const COMMANDS: Record<string, Entry> = {
  start: {
    summary: 'runs the local platform (npm start): registry, inference, drift and gateway',
    load: () => import('./start.ts'),
  },
  demo: {
    summary: 'demo drift: drift detected, a retrained version canaried, promoted or rolled back',
    load: () => import('./demo.ts'),
  },
  inference: {
    summary: 'serves a model repository over the Open Inference Protocol and KServe V1',
    load: () => import('./inference.ts'),
  },
  drift: {
    summary: 'drift compare (two CSV files), drift serve (the drift service)',
    load: () => import('./drift.ts'),
  },
  gateway: {
    summary: 'runs the edge gateway: auth, rate limits, canary and shadow routing',
    load: () => import('./gateway.ts'),
  },
  models: {
    summary:
      'the model registry: build, register, list, show, promote, canary, rollback, archive, diff, materialize, serve',
    load: () => import('./models/index.ts'),
  },
  alerts: {
    summary: 'alerts build: Prometheus rules and Alertmanager routing from the SLOs',
    load: () => import('./alerts.ts'),
  },
  dashboards: {
    summary: 'dashboards build: the Grafana dashboards',
    load: () => import('./dashboards.ts'),
  },
}
