import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import * as random from '@pulumi/random'
import type { PlatformConfig } from '../config/index.ts'

export { APP_ROLES, type AppRole, DatabaseRoles, type DatabaseRolesArgs } from './roles.ts'

const PORT = 5432
const DATABASE = 'infera'
const USERNAME = 'infera'

export interface DatabaseArgs {
  config: PlatformConfig['database']
  environment: PlatformConfig['environment']
  vpcId: pulumi.Input<string>
  privateSubnetIds: pulumi.Input<string[]>
  /** The only security group allowed to connect: the cluster's nodes. */
  clientSecurityGroupId: pulumi.Input<string>
}

/**
 * PostgreSQL on RDS for the model registry and the drift history: encrypted, private subnets only,
 * reachable only from the cluster, TLS required. The password is generated and kept in Secrets
 * Manager; it is never a stack output.
 */
export class Database extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>
  readonly port = PORT
  /** The database's name, for URLs of other roles (`DatabaseRoles`). */
  readonly database = DATABASE
  /** Secrets Manager secret holding `{username, password, host, port, dbname, url}`. */
  readonly secretArn: pulumi.Output<string>
  /**
   * The master user's `postgres://…?sslmode=require`, a Pulumi secret: for `DatabaseRoles`'s Job,
   * which gives the registry and drift roles of their own.
   */
  readonly connectionUrl: pulumi.Output<string>

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Database', name, {}, opts)
    const { config } = args
    const parent = { parent: this }
    const production = args.environment !== 'dev'

    const securityGroup = new aws.ec2.SecurityGroup(
      name,
      { vpcId: args.vpcId, description: `PostgreSQL for ${name}: from the cluster nodes only` },
      parent,
    )
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-cluster`,
      {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: args.clientSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: PORT,
        toPort: PORT,
        description: 'PostgreSQL from the EKS cluster',
      },
      { parent: securityGroup },
    )
    const subnets = new aws.rds.SubnetGroup(name, { subnetIds: args.privateSubnetIds }, parent)
    const parameters = new aws.rds.ParameterGroup(
      name,
      {
        family: `postgres${config.engineVersion.split('.')[0]}`,
        parameters: [{ name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' }],
      },
      parent,
    )
    // Letters and digits only: the password goes into a URL unescaped.
    const password = new random.RandomPassword(name, { length: 40, special: false }, parent)

    const instance = new aws.rds.Instance(
      name,
      {
        engine: 'postgres',
        engineVersion: config.engineVersion,
        instanceClass: config.instanceClass,
        allocatedStorage: config.allocatedStorage,
        maxAllocatedStorage: config.maxAllocatedStorage,
        storageType: 'gp3',
        storageEncrypted: true,
        dbName: DATABASE,
        username: USERNAME,
        password: password.result,
        port: PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [securityGroup.id],
        parameterGroupName: parameters.name,
        publiclyAccessible: false,
        multiAz: config.multiAz,
        backupRetentionPeriod: config.backupRetentionDays,
        backupWindow: '03:00-04:00',
        maintenanceWindow: 'sun:04:30-sun:05:30',
        copyTagsToSnapshot: true,
        deletionProtection: config.deletionProtection,
        skipFinalSnapshot: !production,
        ...(production ? { finalSnapshotIdentifier: `${name}-final` } : {}),
        performanceInsightsEnabled: production,
        autoMinorVersionUpgrade: true,
        // Outside dev, changes wait for the maintenance window.
        applyImmediately: !production,
      },
      parent,
    )
    this.endpoint = instance.address
    this.connectionUrl = pulumi.secret(
      pulumi.interpolate`postgres://${USERNAME}:${password.result}@${instance.address}:${PORT}/${DATABASE}?sslmode=require`,
    )

    const secret = new aws.secretsmanager.Secret(
      name,
      {
        description: `Credentials of ${name} (RDS PostgreSQL)`,
        // dev can be destroyed and recreated at once; elsewhere a deleted secret is recoverable.
        recoveryWindowInDays: production ? 30 : 0,
      },
      parent,
    )
    new aws.secretsmanager.SecretVersion(
      name,
      {
        secretId: secret.id,
        secretString: pulumi.jsonStringify({
          username: USERNAME,
          password: password.result,
          host: instance.address,
          port: PORT,
          dbname: DATABASE,
          url: this.connectionUrl,
        }),
      },
      { parent: secret },
    )
    this.secretArn = secret.arn

    this.registerOutputs({ endpoint: this.endpoint, secretArn: this.secretArn })
  }
}
