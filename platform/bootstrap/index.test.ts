// The bootstrap program under Pulumi's mocks, with its stack file's config.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pulumi from '@pulumi/pulumi'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { policyDocument } from '../testing/stacks.ts'
import { Bootstrap, type BootstrapConfig, bootstrapConfigSchema, IMAGES } from './index.ts'

const ROOT = join(import.meta.dirname, '..', '..')

interface Declared {
  type: string
  name: string
  inputs: Record<string, unknown>
}

async function run(config: BootstrapConfig) {
  const declared: Declared[] = []
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        declared.push({ type, name, inputs })
        const arn = `arn:aws:${type.split(':')[1]?.split('/')[0]}::123456789012:${name}`
        return { id: `${name}-id`, state: { ...inputs, arn } }
      },
      call: ({ token }) => {
        throw new Error(`the bootstrap program should make no invoke, but called ${token}`)
      },
    },
    'infera-bootstrap',
    'shared',
  )
  new Bootstrap('infera', config)
  await pulumi.runtime.disconnect()
  const one = (type: string, name: string) => {
    const found = declared.filter((r) => r.type === type && r.name === name)
    if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`)
    return found[0] as Declared
  }
  return { declared, one }
}

const stackFile = parse(readFileSync(join(import.meta.dirname, 'Pulumi.shared.yaml'), 'utf8')) as {
  config: Record<string, unknown>
}
const config = bootstrapConfigSchema.parse(
  Object.fromEntries(
    Object.entries(stackFile.config)
      .filter(([key]) => key.startsWith('infera-bootstrap:'))
      .map(([key, value]) => [key.slice('infera-bootstrap:'.length), value]),
  ),
)

let bootstrap: Awaited<ReturnType<typeof run>>
beforeAll(async () => {
  bootstrap = await run(config)
})

const trust = (role: Declared) => policyDocument(role.inputs.assumeRolePolicy as string).Statement

describe('the bootstrap stack', () => {
  it('validates its stack file, and refuses a repository that is not owner/name', () => {
    expect(config.githubRepository).toBe('acme/infera')
    expect(
      bootstrapConfigSchema.safeParse({ githubRepository: 'infera', environments: ['dev'] })
        .success,
    ).toBe(false)
  })

  it('has an ECR repository for every image, with immutable tags and scan on push', () => {
    for (const image of IMAGES) {
      const repo = bootstrap.one('aws:ecr/repository:Repository', `infera-${image}`)
      expect(repo.inputs).toMatchObject({
        name: `infera/${image}`,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        forceDelete: false,
      })
      bootstrap.one('aws:ecr/lifecyclePolicy:LifecyclePolicy', `infera-${image}`)
    }
  })

  it('has an ECR repository for every image a Dockerfile builds', () => {
    const services = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .filter((dir) =>
        readdirSync(join(ROOT, 'services', dir)).some((f) => f.startsWith('Dockerfile')),
      )
    expect(services.length).toBeGreaterThan(0)
    for (const service of services) expect(IMAGES).toContain(service)
  })

  it('lets only main and release tags push images, and only to its repositories', () => {
    const role = bootstrap.one('aws:iam/role:Role', 'infera-ci-push')
    expect(trust(role)).toEqual([
      {
        Effect: 'Allow',
        // The GitHub OIDC provider the stack creates (its mocked ARN).
        Principal: { Federated: 'arn:aws:iam::123456789012:infera-github' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: {
            'token.actions.githubusercontent.com:sub': [
              'repo:acme/infera:ref:refs/heads/main',
              'repo:acme/infera:ref:refs/tags/v*',
            ],
          },
        },
      },
    ])
    const policy = bootstrap.one('aws:iam/rolePolicy:RolePolicy', 'infera-ci-push').inputs
    const statements = policyDocument(policy.policy as string).Statement
    const push = statements.find((s) => [s.Action].flat().includes('ecr:PutImage'))
    expect([push?.Resource].flat()).toHaveLength(IMAGES.length)
    expect(statements.flatMap((s) => [s.Action].flat()).every((a) => a.startsWith('ecr:'))).toBe(
      true,
    )
  })

  it("gives each environment a deploy role only that environment's jobs may assume", () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const role = bootstrap.one('aws:iam/role:Role', `infera-ci-${env}`)
      expect(trust(role)[0]?.Condition?.StringLike).toEqual({
        'token.actions.githubusercontent.com:sub': [`repo:acme/infera:environment:${env}`],
      })
    }
  })

  it('names the deploy roles as the stack files name their CI role', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const stack = parse(readFileSync(join(ROOT, `Pulumi.${env}.yaml`), 'utf8')) as {
        config: { 'infera:cluster': { ci: { roleArn: string } } }
      }
      expect(stack.config['infera:cluster'].ci.roleArn).toMatch(
        new RegExp(`:role/infera-ci-${env}$`),
      )
    }
  })

  it('gives pull-request previews a read-only role of their own', () => {
    const role = bootstrap.one('aws:iam/role:Role', 'infera-ci-preview')
    expect(trust(role)[0]?.Condition?.StringLike).toEqual({
      'token.actions.githubusercontent.com:sub': ['repo:acme/infera:pull_request'],
    })
    const attached = bootstrap.declared
      .filter((r) => r.type === 'aws:iam/rolePolicyAttachment:RolePolicyAttachment')
      .filter((r) => r.name.startsWith('infera-ci-preview'))
    expect(attached.map((r) => r.inputs.policyArn)).toEqual([
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ])
    // No inline policy without a state bucket: nothing it could write.
    expect(
      bootstrap.declared.filter(
        (r) => r.type === 'aws:iam/rolePolicy:RolePolicy' && r.name.startsWith('infera-ci-preview'),
      ),
    ).toEqual([])
  })

  it('names its roles within IAM limits', () => {
    for (const role of bootstrap.declared.filter((r) => r.type === 'aws:iam/role:Role'))
      expect((role.inputs.name as string).length).toBeLessThanOrEqual(64)
  })
})
