import { describe, expect, it } from 'vitest'
import { parseModelConfig, selectVersions } from './index.ts'

describe('model config', () => {
  it('fills Triton-like defaults', () => {
    expect(parseModelConfig({})).toMatchObject({
      max_batch_size: 64,
      dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 1024 },
      execution_providers: [{ name: 'cpu', optional: false }],
      version_policy: { latest: { num_versions: 1 } },
    })
  })

  it('names every invalid field', () => {
    expect(() =>
      parseModelConfig({ max_batch_size: -1, execution_providers: ['tpu'], extra: true }),
    ).toThrow(/max_batch_size: .*; execution_providers\.0: .*; \(root\): Unrecognized key: "extra"/)
  })

  it('reads providers as names or {name, optional}, required unless marked optional', () => {
    const { execution_providers } = parseModelConfig({
      execution_providers: [{ name: 'cuda', optional: true }, 'cpu'],
    })
    expect(execution_providers).toEqual([
      { name: 'cuda', optional: true },
      { name: 'cpu', optional: false },
    ])
    expect(parseModelConfig({ execution_providers: ['cuda'] }).execution_providers).toEqual([
      { name: 'cuda', optional: false },
    ])
  })

  it('refuses unknown provider names and keys, and a provider listed twice', () => {
    expect(() => parseModelConfig({ execution_providers: ['tpu'] })).toThrow(
      /execution_providers\.0: expected one of cuda, .*"optional": true/,
    )
    expect(() =>
      parseModelConfig({ execution_providers: [{ name: 'cuda', fallback: 'cpu' }] }),
    ).toThrow(/execution_providers\.0: /)
    expect(() => parseModelConfig({ execution_providers: ['cuda', 'cpu', 'cuda'] })).toThrow(
      /execution_providers: names a provider more than once/,
    )
  })

  it('reads instance_group as Triton writes it, one CPU instance by default', () => {
    expect(parseModelConfig({}).instance_group).toEqual([{ count: 1 }])
    expect(
      parseModelConfig({
        instance_group: [{ count: 2, kind: 'KIND_CPU' }, { kind: 'CPU' }, { count: 3 }],
      }).instance_group,
    ).toEqual([{ count: 2, kind: 'KIND_CPU' }, { count: 1, kind: 'KIND_CPU' }, { count: 3 }])
    expect(
      parseModelConfig({ execution_providers: ['cuda', 'cpu'], instance_group: [{ kind: 'GPU' }] })
        .instance_group,
    ).toEqual([{ count: 1, kind: 'KIND_GPU' }])
  })

  it('refuses instance counts out of range, unknown kinds and keys, and GPU without a GPU provider', () => {
    expect(() => parseModelConfig({ instance_group: [{ count: 0 }] })).toThrow(
      /instance_group\.0\.count: .*>=1/,
    )
    expect(() => parseModelConfig({ instance_group: [{ count: 17 }] })).toThrow(
      /instance_group\.0\.count: .*<=16/,
    )
    expect(() => parseModelConfig({ instance_group: [{ count: 9 }, { count: 8 }] })).toThrow(
      /instance_group: counts add up to more than 16 instances/,
    )
    expect(() => parseModelConfig({ instance_group: [{ kind: 'KIND_TPU' }] })).toThrow(
      /instance_group\.0\.kind: expected KIND_CPU or KIND_GPU/,
    )
    expect(() => parseModelConfig({ instance_group: [{ count: 1, gpus: [0] }] })).toThrow(
      /instance_group\.0: Unrecognized key: "gpus"/,
    )
    expect(() => parseModelConfig({ instance_group: [] })).toThrow(/instance_group: /)
    expect(() => parseModelConfig({ instance_group: [{ kind: 'KIND_GPU' }] })).toThrow(
      /instance_group: a KIND_GPU instance_group needs a GPU provider \(cuda or tensorrt\)/,
    )
  })

  it('selects versions by policy', () => {
    const onDisk = [1, 3, 2, 10]
    expect(selectVersions({ latest: { num_versions: 2 } }, onDisk)).toEqual([10, 3])
    expect(selectVersions({ all: {} }, onDisk)).toEqual([10, 3, 2, 1])
    expect(selectVersions({ specific: { versions: [2, 7] } }, onDisk)).toEqual([2])
  })
})
