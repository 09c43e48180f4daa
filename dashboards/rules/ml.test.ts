import { describeWith, installed } from '../../testing/tools/index.ts'
import { type AlertCase, itChecksAlertCases } from '../testing/promtool.ts'
import { driftRuleGroup, servingRuleGroup } from './ml.ts'
import { THRESHOLDS } from './thresholds.ts'

const drift = 'instance="drift:8081",job="infera-drift"'
const inference = 'instance="inference:8082",job="infera-inference"'
const penguins = { model: 'penguins' }
const island = { model: 'penguins', feature: 'island' }

/** A value held for `minutes` minutes (one sample a minute). */
const held = (value: number, minutes = 10) => `${value}x${minutes}`

const cases: AlertCase[] = [
  {
    title: 'persistent dataset drift',
    alert: 'InferaDatasetDriftPersistent',
    at: '5m',
    series: {
      [`infera_drift_consecutive_drifted_windows{${drift},model="penguins"}`]: held(
        THRESHOLDS.driftWindows,
      ),
      [`infera_drift_consecutive_drifted_windows{${drift},model="mpg"}`]: held(1),
    },
    fires: [penguins],
  },
  {
    title: 'dataset drift in fewer windows than the threshold',
    alert: 'InferaDatasetDriftPersistent',
    at: '5m',
    series: {
      [`infera_drift_consecutive_drifted_windows{${drift},model="penguins"}`]: held(
        THRESHOLDS.driftWindows - 1,
      ),
    },
    fires: [],
  },
  {
    title: 'a drifted feature',
    alert: 'InferaFeatureDrift',
    at: '5m',
    series: {
      [`infera_drift_feature_drifted{${drift},model="penguins",feature="island"}`]: held(1),
      [`infera_drift_feature_drifted{${drift},model="penguins",feature="sex"}`]: held(0),
    },
    fires: [island],
  },
  {
    title: 'no drifted feature',
    alert: 'InferaFeatureDrift',
    at: '5m',
    series: {
      [`infera_drift_feature_drifted{${drift},model="penguins",feature="island"}`]: held(0),
    },
    fires: [],
  },
  {
    title: 'too many missing values',
    alert: 'InferaDataMissingValues',
    at: '5m',
    series: {
      [`infera_drift_missing_rate{${drift},model="penguins",feature="island"}`]: held(
        THRESHOLDS.missingRate * 2,
      ),
    },
    fires: [island],
  },
  {
    title: 'a few missing values',
    alert: 'InferaDataMissingValues',
    at: '5m',
    series: {
      [`infera_drift_missing_rate{${drift},model="penguins",feature="island"}`]: held(
        THRESHOLDS.missingRate / 2,
      ),
    },
    fires: [],
  },
  {
    title: 'too many values out of range',
    alert: 'InferaDataOutOfRange',
    at: '5m',
    series: {
      [`infera_drift_out_of_range_rate{${drift},model="penguins",feature="island"}`]: held(
        THRESHOLDS.outOfRangeRate * 2,
      ),
    },
    fires: [island],
  },
  {
    title: 'values within range',
    alert: 'InferaDataOutOfRange',
    at: '5m',
    series: {
      [`infera_drift_out_of_range_rate{${drift},model="penguins",feature="island"}`]: held(0),
    },
    fires: [],
  },
  {
    title: 'the first load failure of a model (a counter born at 1)',
    alert: 'InferaModelLoadFailed',
    at: '20m',
    series: {
      [`infera_model_loads_total{${inference},model="penguins",result="success"}`]: '1x30',
      [`infera_model_loads_total{${inference},model="penguins",result="failure"}`]: '_x10 1x20',
    },
    fires: [penguins],
  },
  {
    title: 'another load failure of a model that failed before',
    alert: 'InferaModelLoadFailed',
    at: '40m',
    series: {
      [`infera_model_loads_total{${inference},model="penguins",result="failure"}`]: '1x30 2x10',
    },
    fires: [penguins],
  },
  {
    title: 'a load failure long ago',
    alert: 'InferaModelLoadFailed',
    at: '40m',
    series: {
      [`infera_model_loads_total{${inference},model="penguins",result="failure"}`]: '1x40',
    },
    fires: [],
  },
  {
    title: 'a model whose only version failed to load',
    alert: 'InferaModelNotReady',
    at: '10m',
    series: {
      [`infera_model_state{${inference},model="penguins",version="1",state="UNAVAILABLE"}`]:
        held(1),
      [`infera_model_state{${inference},model="penguins",version="1",state="READY"}`]: held(0),
    },
    fires: [penguins],
  },
  {
    title: 'a new version failing beside a ready one, a removed model, a quick load',
    alert: 'InferaModelNotReady',
    at: '10m',
    series: {
      [`infera_model_state{${inference},model="penguins",version="1",state="READY"}`]: held(1),
      [`infera_model_state{${inference},model="penguins",version="2",state="UNAVAILABLE"}`]:
        held(1),
      [`infera_model_state{${inference},model="mpg",version="1",state="READY"}`]: held(0),
      [`infera_model_state{${inference},model="mpg",version="1",state="LOADING"}`]: held(0),
      [`infera_model_state{${inference},model="weather",version="1",state="LOADING"}`]:
        '0x6 1x2 0x2',
      [`infera_model_state{${inference},model="weather",version="1",state="READY"}`]: '0x8 1x2',
    },
    fires: [],
  },
  {
    title: 'a batch queue full for minutes',
    alert: 'InferaBatchQueueSaturated',
    at: '10m',
    series: {
      [`infera_inference_queue_depth{${inference},model="penguins",version="1"}`]: held(
        THRESHOLDS.queueDepth + 100,
      ),
    },
    fires: [{ ...penguins, version: '1' }],
  },
  {
    title: 'a short burst in the batch queue',
    alert: 'InferaBatchQueueSaturated',
    at: '10m',
    series: {
      [`infera_inference_queue_depth{${inference},model="penguins",version="1"}`]: `0x8 ${THRESHOLDS.queueDepth + 100}x2`,
    },
    fires: [],
  },
  {
    title: 'requests rejected for minutes',
    alert: 'InferaRequestsRejected',
    at: '15m',
    series: {
      [`infera_inference_rejected_total{${inference},model="penguins",reason="unavailable"}`]:
        '0+10x15',
    },
    fires: [{ ...penguins, reason: 'unavailable' }],
  },
  {
    title: 'no request rejected lately',
    alert: 'InferaRequestsRejected',
    at: '30m',
    series: {
      [`infera_inference_rejected_total{${inference},model="penguins",reason="unavailable"}`]:
        '0+10x5 50x25',
    },
    fires: [],
  },
  {
    title: 'captured rows dropped',
    alert: 'InferaCaptureDropped',
    at: '10m',
    series: {
      [`infera_capture_dropped_total{${inference},model="penguins",reason="buffer_full"}`]:
        '0+5x10',
    },
    fires: [{ ...penguins, reason: 'buffer_full' }],
  },
  {
    title: 'no captured row dropped lately',
    alert: 'InferaCaptureDropped',
    at: '40m',
    series: {
      [`infera_capture_dropped_total{${inference},model="penguins",reason="buffer_full"}`]:
        '0+5x10 50x30',
    },
    fires: [],
  },
]

describeWith(installed('promtool'), 'ML alerts under promtool test rules', (tools) => {
  const groups = [driftRuleGroup(), servingRuleGroup()]

  itChecksAlertCases(tools.promtool, groups, cases)
})
