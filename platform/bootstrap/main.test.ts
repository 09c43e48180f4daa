// The bootstrap program's entry point, run under Pulumi's mocks with its stack file's config as
// Pulumi hands it over (namespaced keys, objects as JSON).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pulumi from '@pulumi/pulumi'
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { resolve } from '../testing/mocks.ts'

const stackFile = parse(readFileSync(join(import.meta.dirname, 'Pulumi.shared.yaml'), 'utf8')) as {
  config: Record<string, unknown>
}
const raw = Object.fromEntries(
  Object.entries(stackFile.config).map(([key, value]) => [
    key,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]),
)

// One mock monitor for the whole file: a second setMocks would replace it while the first run's
// component still registers its outputs with it (an unhandled "unknown resource" rejection).
beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: ({ name, inputs }) => ({
        id: `${name}-id`,
        state: { ...inputs, arn: `arn:aws:iam::123456789012:role/${inputs.name ?? name}` },
      }),
      call: () => {
        throw new Error('no invokes')
      },
    },
    'infera-bootstrap',
    'shared',
  ),
)

/** The entry point, imported afresh with this config. */
function runMain(config: Record<string, string>) {
  pulumi.runtime.setAllConfig(config)
  return import('./main.ts')
}

beforeEach(() => {
  vi.resetModules()
})

describe('the bootstrap program', () => {
  it('reads its stack file and exports the role ARNs CI is configured with', async () => {
    const main = await runMain(raw)
    expect(await resolve(main.pushRoleArn)).toBe('arn:aws:iam::123456789012:role/infera-ci-push')
    expect(await resolve(main.deployRoleArns.prod as pulumi.Output<string>)).toBe(
      'arn:aws:iam::123456789012:role/infera-ci-prod',
    )
    expect(await resolve(main.previewRoleArn)).toBe(
      'arn:aws:iam::123456789012:role/infera-ci-preview',
    )
    expect(Object.keys(main.repositories)).toHaveLength(5)
  })

  it('refuses config it cannot use, naming the key', async () => {
    await expect(
      runMain({ ...raw, 'infera-bootstrap:environments': JSON.stringify(['qa']) }),
    ).rejects.toThrow(/infera-bootstrap:environments\.0/)
  })
})
