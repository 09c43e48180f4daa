import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { installed, itWith } from '../../testing/tools/index.ts'
import { buildDemoModels } from '../demo/index.ts'
import { buildIdentityModel, buildMlp } from './models.ts'
import { DATATYPE_NAMES } from './tensor.ts'

const CHECK = `
import sys, onnx
failures = []
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(path, full_check=True)
    except Exception as error:
        failures.append(f"{path}: {error}")
if failures:
    sys.exit("\\n".join(failures))
`

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infera-onnx-check-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('onnx.checker.check_model(full_check=True)', () => {
  itWith(
    installed('onnx'),
    'accepts every model the builders generate',
    async ({ onnx: python }) => {
      const models: Record<string, Uint8Array> = {
        mlp_softmax: buildMlp({ inputSize: 4, hidden: [8], outputSize: 3, seed: 1, softmax: true }),
        mlp_raw: buildMlp({ inputSize: 6, hidden: [5, 4], outputSize: 1, seed: 2, softmax: false }),
        ...Object.fromEntries(
          DATATYPE_NAMES.map((datatype) => [
            `identity_${datatype}`,
            buildIdentityModel({ datatype, shape: ['batch', 2] }),
          ]),
        ),
      }
      const paths = await Promise.all(
        Object.entries(models).map(async ([name, bytes]) => {
          const path = join(dir, `${name}.onnx`)
          await writeFile(path, bytes)
          return path
        }),
      )
      const repository = join(dir, 'demo')
      const demos = await buildDemoModels({ outDir: repository })
      paths.push(...demos.map((demo) => join(repository, demo.name, '1', 'model.onnx')))
      expect((await readdir(repository)).length).toBe(demos.length)

      const result = spawnSync(python, ['-c', CHECK, ...paths], { encoding: 'utf8' })
      expect(result.stderr).toBe('')
      expect(result.status).toBe(0)
    },
  )
})
