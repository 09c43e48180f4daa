import { describe, expect, it } from 'vitest'
import { gpuNodeGroupsTainted } from './gpu-node-groups-tainted.ts'
import { gpuPods } from './gpu-pods.ts'
import type { PodSpec } from './lib/kubernetes.ts'
import { messages } from './testing.ts'

const nodeGroup = (props: Record<string, unknown>) => ({
  type: 'eks:index:ManagedNodeGroup',
  name: 'gpu',
  props,
})
const taint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }
const label = { 'nvidia.com/gpu.present': 'true' }

describe('gpu-node-groups-tainted', () => {
  it('passes a tainted, labelled GPU group and leaves CPU groups alone', async () => {
    const gpu = nodeGroup({ amiType: 'AL2023_x86_64_NVIDIA', taints: [taint], labels: label })
    const cpu = nodeGroup({ amiType: 'AL2023_x86_64_STANDARD', instanceTypes: ['m6i.large'] })
    expect(await messages(gpuNodeGroupsTainted, [gpu, cpu])).toEqual([])
  })

  it('fails a GPU group without the taint or the label, recognised by AMI or instance type', async () => {
    expect(
      await messages(gpuNodeGroupsTainted, [
        nodeGroup({ amiType: 'AL2023_x86_64_NVIDIA', labels: label }),
      ]),
    ).toEqual(['a GPU node group must have the taint nvidia.com/gpu with effect NO_SCHEDULE'])
    const byInstance = {
      type: 'aws:eks/nodeGroup:NodeGroup',
      name: 'g',
      props: { instanceTypes: ['g6.xlarge'], taints: [taint] },
    }
    expect(await messages(gpuNodeGroupsTainted, [byInstance])).toEqual([
      'a GPU node group must have the label nvidia.com/gpu.present: "true"',
    ])
  })
})

const gpuContainer = {
  name: 'model',
  resources: { limits: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' } },
}
const toleration = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }
const deployment = (spec: PodSpec) => ({
  type: 'kubernetes:apps/v1:Deployment',
  name: 'model',
  props: { spec: { template: { spec } } },
})

describe('gpu-pods', () => {
  it('passes a GPU pod that tolerates the taint, and CPU pods', async () => {
    const cpu = {
      containers: [{ name: 'web', resources: { limits: { cpu: '1', memory: '1Gi' } } }],
    }
    expect(
      await messages(gpuPods, [
        deployment({ containers: [gpuContainer], tolerations: [toleration] }),
        deployment(cpu),
      ]),
    ).toEqual([])
  })

  it('fails a GPU pod that does not tolerate the taint', async () => {
    expect(await messages(gpuPods, [deployment({ containers: [gpuContainer] })])).toEqual([
      'a pod requesting nvidia.com/gpu must tolerate the nvidia.com/gpu:NoSchedule taint',
    ])
  })

  it('fails a pod on GPU nodes that asks for no GPU', async () => {
    const spec = {
      containers: [{ name: 'squatter', resources: { limits: { cpu: '1', memory: '1Gi' } } }],
      tolerations: [toleration],
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
    }
    expect(await messages(gpuPods, [deployment(spec)])).toEqual([
      'a pod on GPU nodes must request nvidia.com/gpu in its limits',
    ])
  })
})
