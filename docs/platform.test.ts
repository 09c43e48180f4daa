// Follows docs/platform.md's first deployment as far as this machine can: every script, file,
// command and config key it names exists, and the config its `pulumi config set` lines write is a
// config the programs accept. AWS, Pulumi's CLI and Docker are what it can't run.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { bootstrapConfigSchema } from '../platform/bootstrap/index.ts'
import { parseConfig } from '../platform/config/index.ts'
import { stackConfig } from '../platform/testing/mocks.ts'
import { DEMO_SPECS, type DemoModelName } from '../training/demo/specs.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const doc = readFileSync(join(ROOT, 'docs/platform.md'), 'utf8')
const section = doc.slice(doc.indexOf('## First deployment'))
const start = section.indexOf('```sh\n') + '```sh\n'.length
const block = section.slice(start, section.indexOf('\n```', start))
// Commands only, joined across trailing backslashes.
const commands = block
  .replaceAll('\\\n', ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))

// What the shell would have in its variables by then: values of the right shape.
const SHELL: Record<string, string> = {
  '"$TAG"': 'a1b2c3d',
  '"$TAG-cuda12"': 'a1b2c3d-cuda12',
  '"$CI_ROLE"': 'arn:aws:iam::123456789012:role/infera-ci-staging',
  '"$CERT"': 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d',
  "<CLUSTER_RUNNER's egress CIDR>": '198.51.100.0/24',
  "arn:aws:iam::<account>:role/<your operators' role>":
    'arn:aws:iam::123456789012:role/infera-operators',
  '"$(printf %s "$KEY" | sha256sum | cut -d\' \' -f1)"': 'a'.repeat(64),
}
const unquote = (text: string) => text.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1')

/** `pulumi config set [--path] KEY VALUE` lines for the `namespace:` keys. */
function configSets(namespace: string) {
  const sets: { path: string[]; value: string }[] = []
  for (const line of commands) {
    const set = line.match(/pulumi config set (--path )?(\S+) (.+?)(?:\s+#.*)?$/)
    if (!set) continue
    const key = unquote(set[2] as string).replace('$k', 'inference')
    if (!key.startsWith(`${namespace}:`)) continue
    // The loop's body ends the line: `...; done`.
    const text = (set[3] as string).replace(/;\s*done$/, '')
    const value = SHELL[text] ?? unquote(text)
    const path = key
      .slice(namespace.length + 1)
      .split(/\.|\[(\d+)\]/)
      .filter(Boolean)
    sets.push({ path, value })
  }
  return sets
}

/** Sets `value` at `path` (names and array indices) inside `target`. */
function setPath(target: Record<string, unknown>, path: string[], value: string) {
  let node: Record<string, unknown> = target
  for (const [i, step] of path.entries()) {
    if (i === path.length - 1) {
      node[step] = value
      break
    }
    node[step] ??= /^\d+$/.test(path[i + 1] as string) ? [] : {}
    node = node[step] as Record<string, unknown>
  }
}

describe('docs/platform.md, first deployment', () => {
  it('runs only npm scripts the package has', () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts
    const named = commands.flatMap((line) => [...line.matchAll(/npm run ([\w:-]+)/g)])
    expect(named.length).toBeGreaterThan(0)
    for (const [, script] of named) expect(Object.keys(scripts)).toContain(script)
  })

  it('names files and folders that exist', () => {
    const loop = commands.find((line) => line.startsWith('for s in '))
    const images = loop?.match(/for s in ([\w ]+);/)?.[1]?.split(' ') ?? []
    expect(images).toEqual(['inference', 'gateway', 'drift', 'registry'])
    const paths = [
      ...images.map((s) => `services/${s}/Dockerfile`),
      ...commands
        .flatMap((line) => [...line.matchAll(/(?:services|policies|platform)\/[\w./-]+\w/g)])
        .map(([path]) => path),
      'platform/bootstrap/Pulumi.shared.yaml',
    ].filter((path) => !path.includes('$'))
    for (const path of paths) expect(existsSync(join(ROOT, path)), path).toBe(true)
  })

  it('uses infera commands that exist', () => {
    const invocations = commands.flatMap((line) => {
      const call = line.match(/npm run infera -- (\w+) (\w+)/)
      return call ? [[call[1], call[2]] as const] : []
    })
    expect(invocations.length).toBeGreaterThan(0)
    for (const invocation of new Set(invocations.map((words) => words.join(' ')))) {
      const [command, sub] = invocation.split(' ') as [string, string]
      const help = spawnSync(process.execPath, ['bin/infera.js', command, sub, '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
      })
      expect(help.status, `${command} ${sub}: ${help.stderr}`).toBe(0)
    }
  }, 60_000)

  it('configures a bootstrap stack the bootstrap program accepts', () => {
    const file = parse(readFileSync(join(ROOT, 'platform/bootstrap/Pulumi.shared.yaml'), 'utf8'))
    const config: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(file.config as Record<string, unknown>)) {
      if (key.startsWith('infera-bootstrap:')) config[key.slice('infera-bootstrap:'.length)] = value
    }
    const sets = configSets('infera-bootstrap')
    expect(sets.map((s) => s.path.join('.'))).toContain('githubRepository')
    for (const { path, value } of sets) setPath(config, path, value)
    expect(bootstrapConfigSchema.safeParse(config).error).toBeUndefined()
  })

  it('configures a staging stack the platform program accepts', () => {
    const raw = stackConfig('staging')
    const sets = configSets('infera')
    expect(sets.length).toBeGreaterThan(5)
    for (const { path, value } of sets) {
      const [top, ...rest] = path as [string, ...string[]]
      const key = `infera:${top}`
      const object = JSON.parse(raw[key] ?? '{}') as Record<string, unknown>
      setPath(object, rest, value)
      raw[key] = JSON.stringify(object)
    }
    const config = parseConfig(raw, 'staging')
    expect(config.images.inference).toBe('a1b2c3d')
    expect(config.gateway.certificateArn).toBe(SHELL['"$CERT"'])
  })

  it('predicts with a body the demo model it names takes', () => {
    const curl = commands.find((line) => line.includes('/infer') && line.includes(' -d '))
    const model = curl?.match(/\/v2\/models\/(\w+)\/infer/)?.[1] as DemoModelName
    const body = JSON.parse(curl?.match(/-d '(.+)'/)?.[1] ?? '{}')
    const spec = DEMO_SPECS[model]
    expect(spec).toBeDefined()
    const [input] = body.inputs
    expect(input.name).toBe(spec.inputs[0]?.name)
    expect(input.shape).toEqual([1, spec.inputs[0]?.columns?.length])
    expect(input.data).toHaveLength(spec.inputs[0]?.columns?.length ?? -1)
  })
})
