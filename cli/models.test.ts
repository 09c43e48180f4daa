import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  holdoutCsv,
  tempDir,
  trainVersion,
  writeVersionFolder,
} from '../services/registry/src/testing/index.ts'
import { credentialFor, generateToken } from '../services/shared/credentials/index.ts'
import { canaryOptions } from './commands/models/index.ts'

const root = fileURLToPath(new URL('../', import.meta.url))
const home = tempDir('infera-models-cli-')
const sources = tempDir('infera-models-cli-src-')
const holdout = join(sources, 'holdout.csv')
const dirs: Record<'good' | 'retrained' | 'weak', string> = { good: '', retrained: '', weak: '' }

beforeAll(async () => {
  dirs.good = writeVersionFolder(join(sources, 'a'), 'penguins', 1, await trainVersion('penguins'))
  dirs.retrained = writeVersionFolder(
    join(sources, 'b'),
    'penguins',
    2,
    await trainVersion('penguins', 50),
  )
  dirs.weak = writeVersionFolder(
    join(sources, 'c'),
    'penguins',
    1,
    await trainVersion('penguins', 1),
  )
  writeFileSync(holdout, await holdoutCsv('penguins'))
})

// The registry under a temporary INFERA_HOME, whatever the environment running the tests says.
const env = (extra: Record<string, string> = {}) => {
  const { DATABASE_URL, INFERA_REGISTRY_URL, INFERA_ARTIFACTS_S3, ...rest } = process.env
  return { ...rest, INFERA_HOME: home, INFERA_ACTOR: 'ci-bot', ...extra }
}

/** `infera models …` as a real process; its exit code and output. */
function infera(args: string[], extra?: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/infera.js', 'models', ...args], {
    cwd: root,
    env: env(extra),
  })
  let [stdout, stderr] = ['', '']
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  )
}

/** Runs a command that must succeed with --json, and parses what it printed. */
async function json(...args: string[]) {
  return jsonAs({}, ...args)
}

async function jsonAs(extra: Record<string, string>, ...args: string[]) {
  const { code, stdout, stderr } = await infera([...args, '--json'], extra)
  expect(code, stderr).toBe(0)
  return JSON.parse(stdout)
}

describe('infera models', () => {
  it('finds no registry in a fresh INFERA_HOME, and creates none unless told to', async () => {
    const refused = await infera(['list'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      `infera: no running platform under ${home}: start one with npm start, or pass --registry URL / set DATABASE_URL (--embedded creates a registry under ${home}/registry)\n`,
    )
    expect(existsSync(join(home, 'registry'))).toBe(false)
  })

  // Three processes, the first creating the embedded database: slow on a busy machine.
  it('registers versions from training’s folders, with lineage and the actor', {
    timeout: 180_000,
  }, async () => {
    const first = await jsonAs(
      { INFERA_ACTOR: 'alice' },
      'register',
      // The first change creates the embedded registry, on request; later ones find it.
      '--embedded',
      '--name',
      'penguins',
      '--dir',
      dirs.good,
      '--code-version',
      'abc123',
      '--data-location',
      's3://data/penguins.csv',
      '--reason',
      'first model',
    )
    expect(first).toMatchObject({
      model: 'penguins',
      version: 1,
      stage: 'candidate',
      created_by: 'alice',
      lineage: {
        code_version: 'abc123',
        data_location: 's3://data/penguins.csv',
        training_job: null,
      },
      files: {
        'model.onnx': { size: expect.any(Number) },
        'reference.csv': { size: expect.any(Number) },
      },
    })
    expect(
      await json(
        'register',
        '--name',
        'penguins',
        '--dir',
        dirs.retrained,
        '--training-job',
        'job-2',
      ),
    ).toMatchObject({
      version: 2,
      created_by: 'ci-bot',
    })
    const weak = await infera([
      'register',
      '--name',
      'penguins',
      '--dir',
      dirs.weak,
      '--stage',
      'staging',
    ])
    expect(weak.stdout).toMatch(
      /^registered penguins version 3 \(staging\): model\.onnx sha256:[0-9a-f]{12}…/,
    )
  })

  it('promotes through the gate, refuses a worse version with its report, and rolls back', async () => {
    expect((await json('promote', 'penguins', '1', '--to', 'production')).gate).toMatchObject({
      passed: true,
    })
    const better = await json(
      'promote',
      'penguins',
      '2',
      '--to',
      'production',
      '--holdout',
      holdout,
    )
    expect(better.gate).toMatchObject({
      passed: true,
      production_version: 1,
      holdout: { rows: 67 },
    })
    expect(better.audit).toMatchObject([{ action: 'promote', from_version: 1, to_version: 2 }])

    const worse = await infera([
      'promote',
      'penguins',
      '3',
      '--to',
      'production',
      '--holdout',
      holdout,
      '--json',
    ])
    expect(worse.code).toBe(1)
    expect(worse.stderr).toMatch(
      /^infera: the gate refused: version 3 is worse than production version 2/m,
    )
    expect(JSON.parse(worse.stdout).gate).toMatchObject({ passed: false, candidate_version: 3 })

    const back = await infera(['rollback', 'penguins', '--reason', 'latency'])
    expect(back.code).toBe(0)
    expect(back.stdout).toMatch(
      /penguins {2}\S+ {2}ci-bot {2}rollback {2}production: 2 → 1 {2}\(latency\)/,
    )
    expect(await json('archive', 'penguins', '3', '--reason', 'worse')).toMatchObject({
      audit: [{ action: 'archive', version: 3, to_stage: 'archived' }],
    })
  })

  it('lists models with versions, aliases and the audit trail, shows one, and diffs versions', async () => {
    const { models } = await json('list')
    expect(models).toHaveLength(1)
    expect(models[0].aliases.production).toMatchObject({ version: 1, previous_version: null })
    expect(models[0].versions.map((v: { stage: string }) => v.stage)).toEqual([
      'production',
      'candidate',
      'archived',
    ])
    expect(
      models[0].audit.map((e: { action: string; actor: string }) => `${e.action}:${e.actor}`),
    ).toEqual([
      'register:alice',
      'register:ci-bot',
      'register:ci-bot',
      'promote:ci-bot',
      'promote:ci-bot',
      'rollback:ci-bot',
      'archive:ci-bot',
    ])
    const show = await infera(['show', 'penguins'])
    expect(show.stdout).toContain('penguins  production: 1\n')
    expect(show.stdout).toContain(
      'lineage: data_location=s3://data/penguins.csv code_version=abc123',
    )
    expect(show.stdout).toMatch(/ci-bot {2}archive {2}version 3: staging → archived {2}\(worse\)/)
    const diff = await json('diff', 'penguins', '1', '3')
    expect(diff.files['model.onnx'].changed).toBe(true)
    expect(
      diff.metrics.find((c: { path: string }) => c.path === 'holdout.accuracy').delta,
    ).toBeLessThan(-0.2)
  })

  it('sets a weighted canary beside production, refuses a bad one, and removes it', async () => {
    const set = await json('canary', 'penguins', '2', '--weight', '10', '--reason', 'try v2')
    expect(set.audit).toMatchObject([
      { action: 'set_alias', alias: 'canary', version: 2, details: { weight: 10 } },
    ])
    const { aliases } = await json('show', 'penguins')
    expect(aliases.production).toMatchObject({ version: 1 })
    expect(aliases.canary).toMatchObject({ version: 2, weight: 10 })
    const archived = await infera(['canary', 'penguins', '3', '--weight', '10'])
    expect(archived.code).toBe(1)
    const heavy = await infera(['canary', 'penguins', '2', '--weight', '150'])
    expect(heavy.code).toBe(1)
    expect(heavy.stderr).toMatch(/weight is a percentage from 0 to 100, not 150/)
    expect((await infera(['canary', 'penguins', '2'])).code).toBe(2)
    const removed = await json('canary', 'penguins', '--remove', '--reason', 'done')
    expect(removed.audit).toMatchObject([{ action: 'remove_alias', alias: 'canary', version: 2 }])
    expect((await json('show', 'penguins')).aliases.canary).toBeUndefined()
  })

  it('promotes through a canary, then to production on the gate report the canary passed', async () => {
    const whole = ['promote', 'penguins', '2', '--to', 'production']
    const heavy = await infera([...whole, '--holdout', holdout, '--canary', '100'])
    expect(heavy.code).toBe(1)
    expect(heavy.stderr).toContain('canary.weight is a percentage above 0 and below 100, not 100')
    const started = await json(
      ...whole,
      '--holdout',
      holdout,
      '--canary',
      '20',
      '--reason',
      'retrained',
    )
    expect(started.gate).toMatchObject({ passed: true, production_version: 1 })
    expect(started.audit).toMatchObject([
      {
        action: 'set_alias',
        alias: 'canary',
        to_version: 2,
        details: { weight: 20, gate_passed: true, gate_report: expect.any(Number) },
      },
    ])
    const { aliases } = await json('show', 'penguins')
    expect(aliases.production).toMatchObject({ version: 1 })
    expect(aliases.canary).toMatchObject({ version: 2, weight: 20 })

    const promoted = await infera(whole)
    expect(promoted.code, promoted.stderr).toBe(0)
    expect(promoted.stdout).toMatch(/ci-bot {2}remove_alias {2}canary: 2 → -/)
    expect(promoted.stdout).toMatch(/ci-bot {2}promote {2}production: 1 → 2/)
    expect((await json('show', 'penguins')).audit.at(-1)).toMatchObject({
      details: { reused: true, gate_report: started.audit[0].details.gate_report },
    })
  })

  it('says what is wrong: exit code 2 for the command line, 1 for the input', async () => {
    const cases: [string[], number, string][] = [
      [
        ['promote', 'penguins', '1', '--to', 'prod'],
        2,
        "--to must be production or staging, not 'prod'",
      ],
      [['register', '--name', 'penguins', '--dir', sources], 1, `${sources} has no model.onnx`],
      [['show', 'nobody'], 1, "no model named 'nobody'"],
      [
        ['promote', 'penguins', '1', '--to', 'staging', '--canary', '10'],
        2,
        '--canary PERCENT promotes to production through a canary: use --to production',
      ],
      [
        ['serve', '--canary-seconds', '60'],
        2,
        '--canary-seconds and --canary-min-requests need --canary-gateway URL or --canary-prometheus URL',
      ],
      [
        [
          'serve',
          '--canary-gateway',
          'http://gateway:8080',
          '--canary-prometheus',
          'http://p:9090',
        ],
        2,
        'give --canary-gateway or --canary-prometheus, not both: the counters come from one',
      ],
      [
        ['serve', '--canary-prometheus', 'prometheus:9090'],
        2,
        "--canary-prometheus: Prometheus URL 'prometheus:9090' is not an http(s) URL",
      ],
      [
        ['serve', '--canary-gateway', 'gateway:8080'],
        2,
        "--canary-gateway: gateway URL 'gateway:8080' is not an http(s) URL",
      ],
      [
        ['serve', '--canary-gateway', 'http://127.0.0.1:8080', '--canary-min-requests', '2.5'],
        2,
        '--canary-min-requests must be a whole number, not 2.5',
      ],
    ]
    // At once: only one of them opens the registry.
    const runs = await Promise.all(cases.map(([args]) => infera(args)))
    cases.forEach(([args, code, message], i) => {
      expect(runs[i]?.code, args.join(' ')).toBe(code)
      expect(runs[i]?.stderr).toContain(`infera: ${message}`)
    })
  })

  it('reads the canary counters from the Prometheus --canary-prometheus names', async () => {
    const asked: URL[] = []
    const prometheus = createServer((request, response) => {
      asked.push(new URL(request.url ?? '/', 'http://prometheus'))
      const empty = { status: 'success', data: { resultType: 'vector', result: [] } }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(empty))
    })
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = prometheus.address() as AddressInfo
      const options = canaryOptions({
        'canary-prometheus': `http://127.0.0.1:${port}/prometheus/`,
        'canary-min-requests': '20',
      })
      expect(options?.policy).toEqual({ analysisSeconds: undefined, minRequests: 20 })
      expect(await options?.metrics.read('penguins')).toEqual({})
      expect(asked.map((url) => url.pathname)).toEqual(['/prometheus/api/v1/query'])
      expect(asked[0]?.searchParams.get('query')).toContain('{route="penguins",')
    } finally {
      await new Promise((resolve) => prometheus.close(resolve))
    }
  })

  describe('beside a running registry service', () => {
    let service: ChildProcess
    let url: string
    let canary: unknown
    const token = generateToken()
    beforeAll(async () => {
      const credentials = join(sources, 'credentials.json')
      writeFileSync(
        credentials,
        JSON.stringify([await credentialFor('release-bot', token, ['registry:write'])]),
      )
      service = spawn(
        process.execPath,
        [
          // No --host: loopback unless opened.
          ...['bin/infera.js', 'models', 'serve', '--port', '0'],
          ...['--canary-gateway', 'http://127.0.0.1:9/,http://127.0.0.1:10'],
          ...['--canary-seconds', '60', '--canary-min-requests', '20'],
        ],
        {
          cwd: root,
          env: env({ INFERA_CREDENTIALS: credentials }),
        },
      )
      const ready = await new Promise<{ url: string; canary: unknown }>((resolve, reject) => {
        let log = ''
        service.stdout?.on('data', (chunk: Buffer) => {
          log += chunk
          const line = log.split('\n').find((l) => l.includes('"msg":"registry ready"'))
          if (line) resolve(JSON.parse(line))
        })
        service.once('exit', (code) =>
          reject(new Error(`registry service exited with ${code}: ${log}`)),
        )
      })
      url = ready.url
      canary = ready.canary
    })
    afterAll(() => service?.kill('SIGTERM'))

    it('listens on loopback, and takes changes only with a registry:write token, audited as its holder', async () => {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const remote = { INFERA_REGISTRY_URL: url }
      const refused = await infera(['canary', 'penguins', '1', '--weight', '5'], remote)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(
        'infera: this call needs a bearer token with scope registry:write\n' +
          '(the registry service takes changes only with a token of scope registry:write: set INFERA_REGISTRY_TOKEN)',
      )
      const wrong = await infera(['rollback', 'penguins'], {
        ...remote,
        INFERA_REGISTRY_TOKEN: 'guessed',
      })
      expect(wrong.stderr).toContain('infera: the bearer token is not valid\n')
      const registered = await jsonAs(
        { ...remote, INFERA_REGISTRY_TOKEN: token, INFERA_ACTOR: 'canary-controller' },
        ...['register', '--name', 'penguins', '--dir', dirs.good],
      )
      // The credential's name, not whatever the caller's environment claims.
      expect(registered).toMatchObject({ version: 4, created_by: 'release-bot' })
    })

    it('runs the canary controller on the gateways and policy its command line gives', () => {
      expect(canary).toMatchObject({ analysisSeconds: 60, minRequests: 20, maxErrorRatio: 0.001 })
    })

    it('refuses to open its embedded database twice, and goes through the service when told to', async () => {
      const local = await infera(['list'])
      expect(local.code).toBe(1)
      expect(local.stderr).toMatch(
        /is in use by process \d+.*\n\(while a registry service runs, go through it: --registry URL or INFERA_REGISTRY_URL\)/,
      )
      const remote = await infera(['list', '--json'], { INFERA_REGISTRY_URL: url })
      expect(remote.code, remote.stderr).toBe(0)
      expect(JSON.parse(remote.stdout).models[0].aliases.production.version).toBe(2)
      const repo = join(home, 'served')
      const materialized = await infera(['materialize', '--out', repo], {
        INFERA_REGISTRY_URL: url,
      })
      expect(materialized.stdout).toBe(
        `penguins: 2 (production)\nmodel repository written to ${repo}\n`,
      )
    })

    it('goes through the platform INFERA_HOME/platform.json names while its process lives, and says so', async () => {
      const platform = (pid: number) =>
        writeFileSync(
          join(home, 'platform.json'),
          JSON.stringify({
            pid,
            started_at: new Date().toISOString(),
            urls: { gateway: url, inference: url, drift: url, registry: url },
          }),
        )
      try {
        platform(service.pid as number)
        const through = await infera(['list', '--json'])
        expect(through.code, through.stderr).toBe(0)
        expect(JSON.parse(through.stdout).models[0].name).toBe('penguins')
        expect(through.stderr).toBe(
          `registry ${url} (the platform started by npm start, pid ${service.pid})\n`,
        )
        // A process that is gone left the file behind: stale, so the embedded registry is tried.
        const gone = spawn(process.execPath, ['-e', ''])
        await new Promise((resolve) => gone.once('exit', resolve))
        platform(gone.pid as number)
        const stale = await infera(['list'])
        expect(stale.code).toBe(1)
        expect(stale.stderr).toMatch(/^registry embedded in .*\/registry, in this process/)
        expect(stale.stderr).toMatch(/is in use by process/)
      } finally {
        rmSync(join(home, 'platform.json'), { force: true })
      }
    })
  })
})
