import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

interface Instruction {
  op: string
  args: string
}

/** A Dockerfile's instructions, stages split at FROM, `${ARG}` in FROM replaced by ARG defaults. */
function stages(file: string): Instruction[][] {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8')
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  const args = new Map<string, string>()
  const result: Instruction[][] = []
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/)
    const instruction = { op: op.toUpperCase(), args: rest.join(' ') }
    if (instruction.op === 'ARG' && result.length === 0) {
      const [name = '', value = ''] = instruction.args.split('=')
      args.set(name, value)
    } else if (instruction.op === 'FROM') {
      instruction.args = instruction.args.replace(/\$\{(\w+)\}/g, (_, name) => args.get(name) ?? '')
      result.push([instruction])
    } else {
      result.at(-1)?.push(instruction)
    }
  }
  return result
}

const image = (stage: Instruction[]) => stage[0]?.args.split(/\s+/)[0] ?? ''

describe('the GPU inference image (Dockerfile.gpu)', () => {
  const gpu = stages('./Dockerfile.gpu')
  const runtime = gpu.at(-1) ?? []
  const build = gpu.find((stage) => stage.some((i) => i.op === 'RUN' && /npm ci/.test(i.args)))

  it('runs on a pinned NVIDIA CUDA 12 + cuDNN runtime image', () => {
    expect(image(runtime)).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+$/)
  })

  it('installs the CUDA 12 providers that this onnxruntime-node offers for linux/x64', () => {
    const metadata = createRequire(import.meta.url)('onnxruntime-node/script/install-metadata.js')
    expect(metadata.requirements['linux/x64']).toContain('cuda12')
    expect(build).toBeDefined()
    const steps = build ?? []
    const install = steps.findIndex(
      (i) => i.op === 'ENV' && i.args === 'ONNXRUNTIME_NODE_INSTALL=cuda12',
    )
    const npmCi = steps.findIndex((i) => i.op === 'RUN' && /npm ci/.test(i.args))
    expect(install).toBeGreaterThan(0)
    expect(install).toBeLessThan(npmCi)
    // The build fails, rather than producing a CPU-only image, when the download did not happen.
    expect(steps[npmCi]?.args).toContain('libonnxruntime_providers_cuda.so')
  })

  it('runs Node 22 copied from the official image, with the installed modules', () => {
    expect(image(build ?? [])).toMatch(/^node:22[-.]/)
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => i.args)
    expect(copies).toContain('--from=deps /usr/local/bin/node /usr/local/bin/node')
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules')
    expect(runtime.find((i) => i.op === 'USER')?.args).toBe('node')
  })
})

describe('the CPU inference image (Dockerfile)', () => {
  it('is not a GPU image in disguise: no CUDA download, no build argument for one', () => {
    const steps = stages('./Dockerfile').flat()
    expect(steps.some((i) => i.op === 'ARG' || /ONNXRUNTIME_NODE_INSTALL|cuda/i.test(i.args))).toBe(
      false,
    )
  })
})
