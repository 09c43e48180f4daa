// The GitHub workflows that deploy the platform (.github/workflows), parsed: images are built
// before any `up` needs them, previews can't deploy, and CI runs on supported versions.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { IMAGES } from './index.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const WORKFLOWS = join(ROOT, '.github', 'workflows')

interface Step {
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, string>
}
interface Job {
  needs?: string | string[]
  if?: string
  uses?: string
  with?: Record<string, string>
  environment?: string
  'runs-on'?: string
  strategy?: { matrix: { include?: Record<string, string>[] } }
  env?: Record<string, string>
  steps?: Step[]
}
interface Workflow {
  env?: Record<string, string>
  jobs: Record<string, Job>
}

const workflow = (file: string) => parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as Workflow
const platform = workflow('platform.yml')
const deploy = workflow('deploy.yml')
const needs = (job: Job) => [job.needs ?? []].flat()
const steps = (job: Job | undefined) => job?.steps ?? []
/** A GitHub Actions expression as the YAML spells it. */
const gh = (expression: string) => `\${{ ${expression} }}`

/** Every job `job` waits for, directly or not. */
function upstream(jobs: Record<string, Job>, name: string): Set<string> {
  const seen = new Set<string>()
  const visit = (n: string) => {
    for (const dep of needs(jobs[n] as Job)) if (!seen.has(dep)) seen.add(dep) && visit(dep)
  }
  visit(name)
  return seen
}

const images = platform.jobs.images as Job
const built = images.strategy?.matrix.include ?? []
const upJobs = Object.entries(platform.jobs).filter(
  ([, job]) => job.uses === './.github/workflows/deploy.yml',
)

describe('the images job', () => {
  it('builds every Dockerfile under services/ for linux/amd64 and pushes it', () => {
    const services = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
    const dockerfiles = services.flatMap((service) =>
      readdirSync(join(ROOT, 'services', service))
        .filter((f) => f.startsWith('Dockerfile'))
        .map((f) => `services/${service}/${f}`),
    )
    expect(dockerfiles.length).toBeGreaterThan(0)
    expect(new Set(built.map((b) => b.dockerfile))).toEqual(new Set(dockerfiles))
    for (const b of built) expect(IMAGES).toContain(b.image)
    const build = steps(images).find((s) => s.run?.includes('docker buildx build'))
    expect(build?.run).toMatch(/docker buildx build --platform linux\/amd64 /)
    expect(build?.run).toContain('--push')
    // Tags come from the commit, into the bootstrap stack's repositories.
    expect(build?.env).toMatchObject({
      REPOSITORY: `infera/${gh('matrix.image')}`,
      TAG: `${gh('github.sha')}${gh('matrix.suffix')}`,
    })
    expect(steps(images).map((s) => s.with?.['role-to-assume'])).toContain(
      gh('vars.AWS_PUSH_ROLE_ARN'),
    )
  })

  it('runs before every `up`, and staging succeeds before prod starts', () => {
    expect(upJobs.map(([name]) => name).sort()).toEqual(['up-dev', 'up-prod', 'up-staging'])
    for (const [name] of upJobs) expect(upstream(platform.jobs, name)).toContain('images')
    expect(needs(platform.jobs['up-prod'] as Job)).toEqual(['up-staging'])
    expect(platform.jobs['up-prod']?.with?.stack).toBe('prod')
  })
})

describe('the deploy workflow', () => {
  const up = deploy.jobs.up as Job
  const pin = steps(up).find((s) => s.run?.includes('pulumi config set'))
  const pulumiUp = steps(up).findIndex((s) => s.run?.startsWith('pulumi up'))

  it('pins exactly the images this commit built, before `pulumi up`', () => {
    const pinned = (pin?.env?.IMAGES ?? '').split(/\s+/).map((entry) => entry.split('='))
    expect(new Set(pinned.map(([key, suffix]) => `${key}:${suffix}`))).toEqual(
      new Set(built.map((b) => `${b.key}:${b.suffix}`)),
    )
    expect(up.env?.TAG).toBe(gh('github.sha'))
    expect(pin?.run).toMatch(/"\$TAG\$\{image#\*=\}"/)
    expect(pulumiUp).toBeGreaterThan(steps(up).indexOf(pin as Step))
  })

  it('pins keys the platform config has', () => {
    const stack = parse(readFileSync(join(ROOT, 'Pulumi.dev.yaml'), 'utf8')) as {
      config: Record<string, Record<string, unknown>>
    }
    for (const b of built) expect(Object.keys(stack.config['infera:images'] ?? {})).toContain(b.key)
  })

  it('deploys in the stack’s environment, with its deploy role', () => {
    expect(up.environment).toBe(gh('inputs.stack'))
    expect(steps(up).map((s) => s.with?.['role-to-assume'])).toContain(gh('vars.AWS_ROLE_ARN'))
  })
})

describe('pull-request previews', () => {
  const preview = platform.jobs.preview as Job

  it('run with the read-only preview role, outside any environment, never on the prod runner', () => {
    expect(preview.if).toContain("github.event_name == 'pull_request'")
    expect(preview.environment).toBeUndefined()
    expect(steps(preview).map((s) => s.with?.['role-to-assume'])).toContain(
      gh('vars.AWS_PREVIEW_ROLE_ARN'),
    )
    for (const { runner } of preview.strategy?.matrix.include ?? [])
      expect(runner).not.toContain('infera-prod')
    // The deploy role is deploy.yml's alone, inside an environment.
    expect(readFileSync(join(WORKFLOWS, 'platform.yml'), 'utf8')).not.toContain(
      gh('vars.AWS_ROLE_ARN'),
    )
  })
})

describe('CI', () => {
  const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'))
  const allSteps = files.flatMap((f) => Object.values(workflow(f).jobs).flatMap(steps))

  it('runs Node 22 and current majors of the actions it uses', () => {
    const nodes = allSteps.filter((s) => s.uses?.startsWith('actions/setup-node@'))
    expect(nodes.length).toBeGreaterThan(0)
    for (const s of nodes) expect(s.with?.['node-version']).toBe(22)
    const minimum: Record<string, number> = {
      'actions/checkout': 6,
      'actions/setup-node': 6,
      'aws-actions/configure-aws-credentials': 5,
      'pulumi/actions': 6,
    }
    for (const s of allSteps) {
      const [action, version] = (s.uses ?? '').split('@')
      const floor = minimum[action as string]
      if (floor) expect(Number(version?.replace(/^v/, ''))).toBeGreaterThanOrEqual(floor)
    }
  })

  it('installs the Pulumi CLI the SDK is pinned to', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    const sdk = pkg.dependencies['@pulumi/pulumi']
    expect(platform.env?.PULUMI_VERSION).toBe(sdk)
    expect(deploy.jobs.up?.env?.PULUMI_VERSION).toBe(sdk)
  })
})
