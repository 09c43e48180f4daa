import { describeWith, installed } from '../../testing/tools/index.ts'
import { type AlertCase, itChecksAlertCases } from '../testing/promtool.ts'
import { lifecycleRuleGroup } from './lifecycle.ts'
import { THRESHOLDS } from './thresholds.ts'

const registry = 'instance="registry:8083",job="infera-registry"'
const inference = { job: 'infera-inference', instance: 'inference:8082' }
const gateway = { job: 'infera-gateway', instance: 'gateway:8080' }
const drift = 'instance="drift:8081",job="infera-drift"'
const penguins = { model: 'penguins' }

/** A selector for a target's series. */
const at = (target: { job: string; instance: string }) =>
  `instance="${target.instance}",job="${target.job}"`
const decisions = (verdict: string, model = 'penguins') =>
  `infera_canary_decisions_total{${registry},model="${model}",verdict="${verdict}"}`
const syncs = (target: typeof inference, result: string, follower = 'inference') =>
  `infera_registry_syncs_total{${at(target)},follower="${follower}",result="${result}"}`
const gatewaySyncs = (result: string) => syncs(gateway, result, 'gateway')
const jobs = (status: string) =>
  `infera_drift_retrain_jobs_total{${drift},model="penguins",trainer="local",status="${status}"}`
const candidates = (gate: string) =>
  `infera_drift_retrain_candidates_total{${drift},model="penguins",gate="${gate}"}`

// Syncs every 5 s: 12 a minute. Unreachable from minute 10 on: the last success is at minute 10.
const okUntil10 = '0+12x10 120x30'
const errorsFrom10 = '0x10 12+12x30'
// The last success was 10 minutes before this (and the window of successes 5 minutes before that).
const failingLongEnough = `${10 + THRESHOLDS.registrySyncMinutes + 7}m`
const failingNotLongEnough = `${10 + THRESHOLDS.registrySyncMinutes + 2}m`
const hourPlus = THRESHOLDS.lifecycleEventMinutes + 30

const cases: AlertCase[] = [
  {
    title: 'the first rollback of a model (a counter born at 1)',
    alert: 'InferaCanaryRolledBack',
    at: '20m',
    series: {
      [decisions('rollback')]: '_x10 1x20',
      [decisions('promote', 'mpg')]: '_x10 1x20',
    },
    fires: [penguins],
  },
  {
    title: 'another rollback of a model rolled back before',
    alert: 'InferaCanaryRolledBack',
    at: `${hourPlus + 10}m`,
    series: { [decisions('rollback')]: `1x${hourPlus} 2x20` },
    fires: [penguins],
  },
  {
    title: 'a rollback longer ago than the window, and promotions since',
    alert: 'InferaCanaryRolledBack',
    at: `${hourPlus + 10}m`,
    series: {
      [decisions('rollback')]: `_x10 1x${hourPlus}`,
      [decisions('promote')]: `0+1x${hourPlus + 10}`,
    },
    fires: [],
  },
  {
    title: 'an inference server whose registry went away',
    alert: 'InferaRegistrySyncFailing',
    at: failingLongEnough,
    series: {
      [syncs(inference, 'ok')]: okUntil10,
      [syncs(inference, 'error')]: errorsFrom10,
      [syncs({ ...inference, instance: 'inference-2:8082' }, 'ok')]: '0+12x40',
    },
    fires: [inference],
  },
  {
    title: 'an inference server that never reached the registry (no ok series)',
    alert: 'InferaRegistrySyncFailing',
    at: `${THRESHOLDS.registrySyncMinutes + 3}m`,
    series: { [syncs(inference, 'error')]: '0+12x20' },
    fires: [inference],
  },
  {
    title: 'an inference server whose registry went away a few minutes ago',
    alert: 'InferaRegistrySyncFailing',
    at: failingNotLongEnough,
    series: {
      [syncs(inference, 'ok')]: okUntil10,
      [syncs(inference, 'error')]: errorsFrom10,
    },
    fires: [],
  },
  {
    title: 'an inference server whose syncs fail often but not always',
    alert: 'InferaRegistrySyncFailing',
    at: '30m',
    series: {
      [syncs(inference, 'ok')]: '0+1x30',
      [syncs(inference, 'error')]: '0+11x30',
    },
    fires: [],
  },
  {
    title: 'a gateway whose registry went away',
    alert: 'InferaGatewayRegistrySyncFailing',
    at: failingLongEnough,
    series: { [gatewaySyncs('ok')]: okUntil10, [gatewaySyncs('error')]: errorsFrom10 },
    fires: [gateway],
  },
  {
    title: "a gateway whose registry went away is not an inference server's alert",
    alert: 'InferaRegistrySyncFailing',
    at: failingLongEnough,
    series: { [gatewaySyncs('ok')]: okUntil10, [gatewaySyncs('error')]: errorsFrom10 },
    fires: [],
  },
  {
    // Failing from the start, then reaching it now and then: the first ok series ends it.
    title: 'a gateway that reaches the registry again',
    alert: 'InferaGatewayRegistrySyncFailing',
    at: `${THRESHOLDS.registrySyncMinutes + 3}m`,
    series: {
      [gatewaySyncs('error')]: '0+11x30',
      [gatewaySyncs('ok')]: `_x${THRESHOLDS.registrySyncMinutes - 1} 1+1x20`,
    },
    fires: [],
  },
  {
    title: 'a failed retraining job (a counter born at 1)',
    alert: 'InferaRetrainJobFailed',
    at: '20m',
    series: { [jobs('started')]: '_x5 1x20', [jobs('failed')]: '_x10 1x15' },
    fires: [{ ...penguins, trainer: 'local' }],
  },
  {
    title: 'retraining jobs that completed, and a failure longer ago than the window',
    alert: 'InferaRetrainJobFailed',
    at: `${hourPlus + 10}m`,
    series: {
      [jobs('started')]: `_x5 1x${hourPlus} 2x10`,
      [jobs('completed')]: `_x10 1x${hourPlus - 5} 2x10`,
      [jobs('failed')]: `_x5 1x${hourPlus + 5}`,
    },
    fires: [],
  },
  {
    title: 'a retrained version the gate refused',
    alert: 'InferaRetrainCandidateRefused',
    at: '15m',
    series: { [candidates('refused')]: '_x10 1x10' },
    fires: [penguins],
  },
  {
    title: 'retrained versions the gate passed or did not judge',
    alert: 'InferaRetrainCandidateRefused',
    at: '15m',
    series: { [candidates('passed')]: '_x10 1x10', [candidates('skipped')]: '_x5 1x15' },
    fires: [],
  },
]

describeWith(installed('promtool'), 'lifecycle alerts under promtool test rules', (tools) => {
  const groups = [lifecycleRuleGroup()]

  itChecksAlertCases(tools.promtool, groups, cases)
})
