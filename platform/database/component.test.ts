// DatabaseRoles's Kubernetes resources, under Pulumi's mocks: the Job that runs ROLES_SCRIPT and
// the Secrets the services read their DATABASE_URL from.
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import { beforeAll, describe, expect, it } from 'vitest'
import { reveal } from '../testing/mocks.ts'
import { DatabaseRoles } from './index.ts'
import { ROLES_SCRIPT } from './roles.ts'

type Props = pulumi.runtime.MockResourceArgs['inputs']
const created: { type: string; name: string; inputs: Props }[] = []
const one = (type: string) => {
  const found = created.filter((r) => r.type === type)
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`)
  return found[0] as { inputs: Props }
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        created.push({ type, name, inputs: reveal(inputs) })
        const result =
          type === 'random:index/randomPassword:RandomPassword' ? { result: `pw-${name}` } : {}
        return { id: `${name}-id`, state: { ...inputs, ...result } }
      },
      call: () => ({}),
    },
    'infera',
    'test',
    false,
  )
  const provider = new k8s.Provider('k8s', {})
  new DatabaseRoles('infera-test', {
    provider,
    namespace: 'infera',
    namespaceReady: [],
    adminUrl: pulumi.secret('postgres://infera:M4sterPw@db.example:5432/infera?sslmode=require'),
    host: 'db.example',
    port: 5432,
    database: 'infera',
  })
  await pulumi.runtime.disconnect()
})

describe('DatabaseRoles', () => {
  it("gives the registry and drift a Secret each with their own role's URL", () => {
    const urls = created
      .filter(
        (r) =>
          r.type === 'kubernetes:core/v1:Secret' && r.inputs.metadata.name !== 'database-roles',
      )
      .map((r) => [r.inputs.metadata.name, r.inputs.stringData.url])
    expect(urls).toEqual([
      [
        'database-registry',
        'postgres://registry:pw-infera-test-db-registry@db.example:5432/infera?sslmode=require',
      ],
      [
        'database-drift',
        'postgres://drift:pw-infera-test-db-drift@db.example:5432/infera?sslmode=require',
      ],
    ])
  })

  it('runs the script as a restricted pod, the master URL and passwords from a Secret only', () => {
    const job = one('kubernetes:batch/v1:Job').inputs
    const pod = job.spec.template.spec
    const [container] = pod.containers
    expect(container.command).toEqual(['sh', '-c', ROLES_SCRIPT, 'roles', 'registry', 'drift'])
    expect(container.image).toMatch(/:16\.\d+-alpine$/)
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 70 })
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    })
    expect(container.env).toContainEqual({
      name: 'ADMIN_URL',
      valueFrom: { secretKeyRef: { name: 'database-roles', key: 'admin-url' } },
    })
    expect(JSON.stringify(job)).not.toMatch(/M4sterPw|pw-infera/)
    expect(job.spec.template.metadata.annotations['infera.dev/database-roles-sha256']).toMatch(
      /^[0-9a-f]{64}$/,
    )
  })
})
