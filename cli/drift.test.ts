import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  demoRepository,
  referenceRows,
  registerDemoVersion,
} from '../services/drift/src/testing/index.ts'
import { tempDir } from '../services/inference/src/testing/index.ts'
import { startRegistryServer } from '../services/registry/src/adapter/node/index.ts'
import { bearer, credentialFor, generateToken } from '../services/shared/credentials/index.ts'

const root = fileURLToPath(new URL('../', import.meta.url))
const dir = tempDir('infera-drift-cli-')

// Real data: Seattle's weather of 2012–2015, split by year, season and alternate days.
const [header, ...days] = readFileSync(
  join(root, 'node_modules/vega-datasets/data/seattle-weather.csv'),
  'utf8',
)
  .trim()
  .split('\n')
const write = (name: string, keep: (date: string, index: number) => boolean) => {
  const rows = days
    .filter((line, index) => keep(line.slice(0, 10), index))
    .map((line) => line.split(',').slice(1).join(','))
  writeFileSync(join(dir, name), `${header?.split(',').slice(1).join(',')}\n${rows.join('\n')}\n`)
  return join(dir, name)
}
const y2012 = write('2012.csv', (d) => d.startsWith('2012'))
const y2013 = write('2013.csv', (d) => d.startsWith('2013'))
const evenDays = write('even.csv', (_, i) => i % 2 === 0)
const oddDays = write('odd.csv', (_, i) => i % 2 === 1)
const summers = write('summers.csv', (d) => ['06', '07', '08'].includes(d.slice(5, 7)))

// Whatever the environment running the tests says, the service keeps its history in PGlite.
const { DATABASE_URL, ...env } = process.env

/** `infera drift …` run to its end: its exit code and output. */
function drift(args: string[]) {
  const run = spawnSync(process.execPath, ['bin/infera.js', 'drift', ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

const infera = (...args: string[]) => drift(['compare', ...args])

describe('infera drift compare', () => {
  it('reports drift per feature in the documented JSON shape', () => {
    const { code, stdout } = infera('--reference', y2012, '--current', summers)
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.dataset_drift).toBe(true)
    expect(report.features.temp_max).toMatchObject({
      type: 'numerical',
      method: 'ks',
      threshold: 0.05,
      drifted: true,
    })
    expect(report.features.temp_max.p_value).toBeLessThan(1e-10)
    expect(report.features.weather).toMatchObject({
      type: 'categorical',
      method: 'chisquare',
      drifted: true,
    })
    expect(Object.keys(report.features)).toEqual([
      'precipitation',
      'temp_max',
      'temp_min',
      'wind',
      'weather',
    ])
  })

  it('finds alternate days alike, and applies --method and --threshold where they fit', () => {
    const same = JSON.parse(infera('--reference', evenDays, '--current', oddDays).stdout)
    expect(same.drifted_columns).toBe(0)
    expect(same.dataset_drift).toBe(false)
    const out = join(dir, 'report.json')
    const { code } = infera(
      '--reference',
      y2012,
      '--current',
      summers,
      '--method',
      'wasserstein',
      '--threshold',
      '0.5',
      '--out',
      out,
    )
    expect(code).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.features.temp_max).toMatchObject({ method: 'wasserstein', threshold: 0.5 })
    expect(report.features.temp_max.p_value).toBeNull()
    // Wasserstein needs numbers: the categorical column keeps its automatic test and threshold.
    expect(report.features.weather).toMatchObject({ method: 'chisquare', threshold: 0.05 })
  })

  it('ends with a clear message and a non-zero exit on bad input', () => {
    const bad = (name: string, text: string) => {
      writeFileSync(join(dir, name), text)
      return join(dir, name)
    }
    const cases: Array<[string[], number, RegExp]> = [
      [['--reference', join(dir, 'nope.csv'), '--current', y2013], 1, /nope\.csv not found/],
      [['--reference', bad('empty.csv', ''), '--current', y2013], 1, /empty\.csv is empty/],
      [
        ['--reference', y2012, '--current', bad('cols.csv', 'precipitation,wind\n1,2\n')],
        1,
        /columns differ: cols\.csv lacks 'temp_max', 'temp_min', 'weather'/,
      ],
      [
        ['--reference', y2012, '--current', y2013, '--numerical', 'weather'],
        1,
        /column 'weather' is numerical but line 2 has 'drizzle'/,
      ],
      [
        ['--reference', y2012, '--current', y2013, '--method', 'magic'],
        2,
        /--method must be one of auto, ks, chisquare, .*kl_div, .*TVD.*, not 'magic'/,
      ],
      [['--reference', y2012], 2, /--current FILE is required/],
    ]
    for (const [args, code, message] of cases) {
      const run = infera(...args)
      expect(run.code, run.stderr).toBe(code)
      expect(run.stderr).toMatch(message)
      expect(run.stdout).toBe('')
    }
  })
})

describe('infera drift compare --format html', () => {
  it('writes a self-contained report with a chart per feature', () => {
    const out = join(dir, 'report.html')
    const { code } = infera(
      '--reference',
      y2012,
      '--current',
      summers,
      '--format',
      'html',
      '--out',
      out,
    )
    expect(code).toBe(0)
    const html = readFileSync(out, 'utf8')
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('summers.csv')
    expect(html.match(/<svg/g)).toHaveLength(5)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)
  })
})

describe('infera drift serve --registry', () => {
  let registry: Awaited<ReturnType<typeof startRegistryServer>>
  let penguins: Array<Record<string, unknown>>
  // The service's own holders, from a credentials file; retraining's registry:write token.
  const tokens = { capture: generateToken(), labeller: generateToken(), retrain: generateToken() }
  const credentialsFile = join(dir, 'drift-credentials.json')
  beforeAll(async () => {
    writeFileSync(
      credentialsFile,
      JSON.stringify([
        await credentialFor('capture', tokens.capture, ['drift:ingest']),
        await credentialFor('labeller', tokens.labeller, ['drift:labels']),
      ]),
    )
    const modelsDir = await demoRepository()
    penguins = referenceRows(modelsDir, 'penguins')
    registry = await startRegistryServer({
      port: 0,
      host: '127.0.0.1',
      dir: tempDir('infera-drift-cli-registry-'),
      logger: pino({ level: 'silent' }),
      credentials: [await credentialFor('drift-retrain', tokens.retrain, ['registry:write'])],
    })
    await registerDemoVersion(registry.registry, modelsDir)
  })
  afterAll(() => registry.close())

  it('refuses options that do not go together', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--canary-weight', '10'], /--canary-weight needs --registry URL and --trainer local/],
      [
        ['--registry', registry.url, '--trainer', 'local', '--canary-weight', '100'],
        /--canary-weight must be a percentage above 0 and below 100/,
      ],
      [['--models', dir, '--registry', registry.url], /--models and --registry are alternatives/],
    ]
    for (const [args, message] of cases) {
      const run = drift(['serve', ...args])
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).toMatch(message)
    }
  })

  it('watches the registered version and retrains it into a candidate put to the gate', async () => {
    const service = spawn(
      process.execPath,
      [
        'bin/infera.js',
        'drift',
        'serve',
        ...['--port', '0', '--host', '127.0.0.1', '--registry', registry.url],
        ...['--data-dir', tempDir('infera-drift-cli-data-'), '--labelled-dir', tempDir()],
        ...['--window-size', '100', '--trainer', 'local', '--retrain-after', '2'],
        ...['--canary-weight', '20'],
      ],
      // The credentials file as the platform names it; the registry token retraining writes with.
      {
        cwd: root,
        env: { ...env, INFERA_CREDENTIALS: credentialsFile, INFERA_REGISTRY_TOKEN: tokens.retrain },
      },
    )
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let log = ''
        service.stdout.on('data', (chunk: Buffer) => {
          log += chunk
          const ready = /"url":"(http:[^"]+)".*"msg":"drift service ready"/.exec(log)
          if (ready) resolve(ready[1] as string)
        })
        service.once('exit', (code) => reject(new Error(`drift serve exited with ${code}: ${log}`)))
      })
      const post = (path: string, body: unknown, token?: string) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...bearer(token ?? (path.endsWith('/labels') ? tokens.labeller : tokens.capture)),
          },
          body: JSON.stringify(body),
        })
      // Penguins measured in centimetres and kilograms now: drift the labels can teach.
      const captures = (offset: number) =>
        penguins.slice(offset, offset + 100).map((p, i) => ({
          ts: new Date(Date.UTC(2026, 0, 1, offset, 0, i)).toISOString(),
          request_id: `cli-${offset}-${i}`,
          version: '1',
          features: {
            bill_length_mm: (p.bill_length_mm as number) / 10,
            bill_depth_mm: (p.bill_depth_mm as number) / 10,
            flipper_length_mm: (p.flipper_length_mm as number) / 10,
            body_mass_g: (p.body_mass_g as number) / 1000,
            island: p.island,
            sex: p.sex,
          },
          prediction: p.species,
        }))
      const first = captures(0)
      // Only the credentials file's holders may feed it.
      expect((await post('/v1/drift/penguins/records', first, 'not-a-token')).status).toBe(401)
      expect((await post('/v1/drift/penguins/records', first, tokens.labeller)).status).toBe(403)
      expect((await post('/v1/drift/penguins/records', first)).status).toBe(202)
      const labels = first.map((c) => ({ request_id: c.request_id, label: c.prediction }))
      expect(await (await post('/v1/drift/penguins/labels', labels)).json()).toMatchObject({
        accepted: 100,
        unknown: 0,
      })
      expect((await post('/v1/drift/penguins/records', captures(100))).status).toBe(202)

      // The job runs after the second window's evaluation, off the request path.
      type Job = { status: string; details: Record<string, unknown> }
      let jobs: Job[] = []
      while (jobs[0]?.status !== 'completed') {
        expect(jobs[0]?.status).not.toBe('failed')
        await sleep(200)
        const response = await fetch(`${url}/v1/drift/penguins/retrain-jobs`)
        jobs = ((await response.json()) as { jobs: Job[] }).jobs
      }
      expect(jobs[0]?.details).toMatchObject({ version: '2', stage: 'candidate' })
      const candidate = await registry.registry.version('penguins', 2)
      expect(candidate).toMatchObject({ stage: 'candidate', created_by: 'drift-retrain' })
      // --canary-weight put it to the gate, which kept its report whatever it decided.
      expect(candidate.gate_reports).toMatchObject([
        { report: { candidate_version: 2, production_version: 1, actor: 'drift-retrain' } },
      ])
      const canary = (await registry.registry.show('penguins')).aliases.canary
      expect(canary ? [canary.version, canary.weight] : undefined).toEqual(
        candidate.gate_reports[0]?.passed ? [2, 20] : undefined,
      )
    } finally {
      if (service.exitCode === null) {
        service.kill('SIGTERM')
        await once(service, 'exit')
      }
    }
  })
})
