import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readJson } from '../services/inference/src/testing/index.ts'
import type { ModelView } from '../services/registry/src/index.ts'
import { type Platform, startPlatform } from '../testing/platform.ts'

const run = promisify(execFile)

let platform: Platform
beforeAll(async () => {
  platform = await startPlatform({ apiKey: 'test-key-1' })
})
afterAll(() => platform?.stop('SIGKILL'))

const penguin = {
  bill_length_mm: 50,
  bill_depth_mm: 15.2,
  flipper_length_mm: 218,
  body_mass_g: 5700,
  island: 'Biscoe',
  sex: 'MALE',
}

describe('infera start (npm start)', () => {
  it('registers and promotes the demo models, serves them behind the gateway, captures predictions and stops cleanly', async () => {
    const url = platform.gateway
    const output = platform.output()
    expect(output).toContain('training the demo models')
    expect(output).toMatch(/registered and promoted: +penguins, mpg, weather/)

    // The registry holds the database: `infera models` goes through the running service.
    const { stdout } = await run(process.execPath, ['bin/infera.js', 'models', 'list', '--json'], {
      env: { ...process.env, INFERA_HOME: platform.home },
    })
    const { models } = JSON.parse(stdout) as { models: ModelView[] }
    expect(models.map((m) => [m.name, m.aliases.production?.version])).toEqual([
      ['mpg', 1],
      ['penguins', 1],
      ['weather', 1],
    ])
    expect(models[1]?.audit.map((e) => [e.action, e.actor])).toEqual([
      ['register', 'infera start'],
      ['promote', 'infera start'],
    ])
    const predict = await fetch(`${url}/v1/models/penguins:predict`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'e2e-1',
        authorization: 'Bearer test-key-1',
      },
      body: JSON.stringify({ instances: [penguin] }),
    })
    expect((await readJson(predict)).body).toEqual({ predictions: ['Gentoo'] })
    const mpg = await fetch(`${url}/v2/models/mpg/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key-1' },
      body: JSON.stringify({
        inputs: [
          { name: 'features', datatype: 'FP32', shape: [1, 5], data: [8, 350, 165, 3693, 11.5] },
        ],
      }),
    })
    const [gallons] = (await readJson(mpg)).body.outputs[0].data
    expect(gallons).toBeGreaterThan(8)
    expect(gallons).toBeLessThan(25)
    const ready = await fetch(`${url}/v2/models/weather/ready`, {
      headers: { 'x-api-key': 'test-key-1' },
    })
    expect(ready.status).toBe(200)
    // The gateway is closed by default; its own health endpoints are open.
    expect((await fetch(`${url}/v2/models/weather/ready`)).status).toBe(401)
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200)
    expect(output).toContain('development API key:                            test-key-1')

    // Captured predictions reach the drift service, which watches them against the reference.
    const driftModels = `${platform.drift}/v1/drift/models`
    let monitored: Array<{ model: string; rows_seen: number }> = []
    for (let i = 0; i < 50 && !monitored.some((m) => m.model === 'penguins'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      monitored = (await readJson(await fetch(driftModels))).body.models
    }
    expect(monitored.find((m) => m.model === 'penguins')).toMatchObject({ rows_seen: 1 })

    expect(await platform.stop('SIGINT')).toBe(0)
    // Served from the registry's production version, materialized under INFERA_HOME.
    expect(readdirSync(join(platform.home, 'serving', 'penguins'))).toEqual(['1', 'config.json'])
    const captured = join(platform.home, 'capture', 'penguins', '1')
    const [file] = readdirSync(captured)
    const row = JSON.parse(
      readFileSync(join(captured, file as string), 'utf8').split('\n')[0] as string,
    )
    expect(row).toMatchObject({ request_id: 'e2e-1', features: penguin, prediction: 'Gentoo' })
  })
})
