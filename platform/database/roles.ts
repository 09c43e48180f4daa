import { createHash } from 'node:crypto'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import * as random from '@pulumi/random'
import { CONTAINER_SECURITY, POD_SECURITY, resources } from '../services/pod.ts'

/** The services that get a PostgreSQL role of their own, named after them. */
export const APP_ROLES = ['registry', 'drift'] as const
export type AppRole = (typeof APP_ROLES)[number]

/** psql of the engine's major version, pinned; `postgres` (uid 70) exists in the image. */
export const PSQL_IMAGE = 'public.ecr.aws/docker/library/postgres:16.10-alpine'
const PSQL_USER = 70
const PASSWORDS = '/etc/infera/database-roles'

/**
 * Creates (or updates the password of) one login role per argument, each owning a schema of its
 * name: the default search_path (`"$user", public`) puts its tables there, and PostgreSQL 15+
 * lets nobody else create in `public`. Idempotent; the master user runs it (`ADMIN_URL`), each
 * password read from `$PASSWORDS/<role>` so that none is on a command line.
 */
export const ROLES_SCRIPT = `set -eu
for role in "$@"; do
  PASSWORD="$(cat "$PASSWORDS/$role")" psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -q -v role="$role" -f - <<'SQL'
\\getenv password PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password') \\gexec
-- CREATE SCHEMA ... AUTHORIZATION needs membership; since PostgreSQL 16 a role's creator has
-- only its ADMIN OPTION (RDS's master user is no superuser).
SELECT format('GRANT %I TO CURRENT_USER', :'role')
  WHERE NOT pg_has_role(CURRENT_USER, :'role', 'MEMBER') \\gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'role', :'role') \\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role') \\gexec
SQL
done
`

export interface DatabaseRolesArgs {
  provider: k8s.Provider
  /** The namespace of the services' pods, and what must exist before anything goes into it. */
  namespace: string
  namespaceReady: pulumi.Resource[]
  /** The master user's URL, a secret: only this Job's Secret holds it. */
  adminUrl: pulumi.Output<string>
  host: pulumi.Input<string>
  port: number
  database: string
}

/**
 * The registry and drift connect to PostgreSQL as roles of their own, not as the master user: a
 * Job runs `ROLES_SCRIPT` with the master credentials, and each service's `DATABASE_URL` is in a
 * Secret `database-<role>` (key `url`). A rotated password (`pulumi up --replace` of its
 * RandomPassword) changes the Job's template, so the Job runs again.
 */
export class DatabaseRoles extends pulumi.ComponentResource {
  /** Per role, the Secret holding its `DATABASE_URL` under `url`. */
  readonly secrets: Record<AppRole, k8s.core.v1.Secret>
  /** What the services wait for: their roles exist once it has completed. */
  readonly job: k8s.batch.v1.Job

  constructor(name: string, args: DatabaseRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:DatabaseRoles', name, {}, opts)
    const { namespace } = args
    const child = { parent: this, provider: args.provider, dependsOn: args.namespaceReady }
    // Letters and digits only: the password goes into a URL unescaped.
    const passwords = Object.fromEntries(
      APP_ROLES.map((role) => [
        role,
        new random.RandomPassword(`${name}-db-${role}`, { length: 40, special: false }, child)
          .result,
      ]),
    ) as Record<AppRole, pulumi.Output<string>>

    this.secrets = Object.fromEntries(
      APP_ROLES.map((role) => [
        role,
        new k8s.core.v1.Secret(
          `${name}-database-${role}`,
          {
            metadata: { name: `database-${role}`, namespace },
            stringData: {
              url: pulumi.interpolate`postgres://${role}:${passwords[role]}@${args.host}:${args.port}/${args.database}?sslmode=require`,
            },
          },
          child,
        ),
      ]),
    ) as Record<AppRole, k8s.core.v1.Secret>

    const setup = new k8s.core.v1.Secret(
      `${name}-database-roles`,
      {
        metadata: { name: 'database-roles', namespace },
        stringData: pulumi
          .all([args.adminUrl, pulumi.all(passwords)])
          .apply(([adminUrl, byRole]) => ({ 'admin-url': adminUrl, ...byRole })),
      },
      child,
    )
    const digest = pulumi
      .all(passwords)
      .apply((byRole) => createHash('sha256').update(JSON.stringify(byRole)).digest('hex'))

    this.job = new k8s.batch.v1.Job(
      `${name}-database-roles`,
      {
        metadata: { namespace },
        spec: {
          backoffLimit: 6,
          template: {
            metadata: { annotations: { 'infera.dev/database-roles-sha256': digest } },
            spec: {
              restartPolicy: 'OnFailure',
              securityContext: {
                ...POD_SECURITY,
                runAsUser: PSQL_USER,
                runAsGroup: PSQL_USER,
                fsGroup: PSQL_USER,
              },
              containers: [
                {
                  name: 'psql',
                  image: PSQL_IMAGE,
                  command: ['sh', '-c', ROLES_SCRIPT, 'roles', ...APP_ROLES],
                  env: [
                    { name: 'PASSWORDS', value: PASSWORDS },
                    {
                      name: 'ADMIN_URL',
                      valueFrom: { secretKeyRef: { name: setup.metadata.name, key: 'admin-url' } },
                    },
                  ],
                  volumeMounts: [{ name: 'passwords', mountPath: PASSWORDS, readOnly: true }],
                  resources: resources('100m', '64Mi'),
                  securityContext: CONTAINER_SECURITY,
                },
              ],
              volumes: [
                {
                  name: 'passwords',
                  secret: {
                    secretName: setup.metadata.name,
                    items: APP_ROLES.map((role) => ({ key: role, path: role })),
                  },
                },
              ],
            },
          },
        },
      },
      child,
    )
    this.registerOutputs({})
  }
}
