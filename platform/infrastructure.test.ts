// The AWS side of the platform program, run under Pulumi's mocks for the real stack files: one
// run per stack for the whole file (the mocks are process-wide; a program run costs a second).
import * as pulumi from '@pulumi/pulumi'
import { beforeAll, describe, expect, it } from 'vitest'
import { CHARTS } from './charts.ts'
import { IMAGES } from './retraining/index.ts'
import { ACCOUNT, isSecret, resolve, stackConfig } from './testing/mocks.ts'
import { type PlatformRun, platformRun, policyDocument } from './testing/stacks.ts'

let dev: PlatformRun
let prod: PlatformRun
beforeAll(async () => {
  dev = await platformRun('dev')
  prod = await platformRun('prod')
})

describe('Network', () => {
  it('is a VPC (awsx) inside the Network component', () => {
    const network = prod.find.one('infera:platform:Network')
    const vpc = prod.find.one('awsx:ec2:Vpc')
    expect(vpc.parent).toBe(network.urn)
    expect(vpc.inputs).toMatchObject({
      cidrBlock: '10.40.0.0/16',
      enableDnsHostnames: true,
      subnetStrategy: 'Auto',
    })
  })

  it('tags public subnets for internet-facing load balancers and private ones for internal', () => {
    const specs = prod.find.one('awsx:ec2:Vpc').inputs.subnetSpecs
    expect(specs).toEqual([
      expect.objectContaining({
        type: 'Public',
        tags: { 'kubernetes.io/role/elb': '1', 'kubernetes.io/cluster/infera-prod': 'shared' },
      }),
      expect.objectContaining({
        type: 'Private',
        tags: {
          'kubernetes.io/role/internal-elb': '1',
          'kubernetes.io/cluster/infera-prod': 'shared',
        },
      }),
    ])
  })

  it('spans two AZs behind one NAT gateway in dev, three with a NAT gateway each in prod', () => {
    expect(dev.find.one('awsx:ec2:Vpc').inputs).toMatchObject({
      numberOfAvailabilityZones: 2,
      natGateways: { strategy: 'Single' },
    })
    expect(prod.find.one('awsx:ec2:Vpc').inputs).toMatchObject({
      numberOfAvailabilityZones: 3,
      natGateways: { strategy: 'OnePerAz' },
    })
  })
})

const RELEASE = 'kubernetes:helm.sh/v3:Release'
const NODE_GROUP = 'eks:index:ManagedNodeGroup'

describe('Cluster: the control plane', () => {
  it('is EKS with access entries, control-plane logs and an OIDC provider', () => {
    const cluster = prod.find.one('eks:index:Cluster')
    expect(cluster.parent).toBe(prod.find.one('infera:platform:Cluster').urn)
    expect(cluster.inputs).toMatchObject({
      name: 'infera-prod',
      version: '1.34',
      authenticationMode: 'API',
      createOidcProvider: true,
      enabledClusterLogTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
      vpcId: 'vpc-infera-prod',
      privateSubnetIds: ['subnet-private-0', 'subnet-private-1', 'subnet-private-2'],
      skipDefaultNodeGroup: true,
      nodeAssociatePublicIpAddress: false,
    })
  })

  it('has a private-only API endpoint in prod, and a public one in dev', () => {
    expect(prod.find.one('eks:index:Cluster').inputs).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: false,
    })
    expect(prod.find.one('eks:index:Cluster').inputs.publicAccessCidrs).toBeUndefined()
    expect(dev.find.one('eks:index:Cluster').inputs).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ['198.51.100.0/24', '203.0.113.0/24'],
      enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
    })
  })

  it('gives the configured admins cluster-admin access entries', async () => {
    const admin = 'arn:aws:iam::123456789012:role/platform-admins'
    const cluster = JSON.parse(stackConfig('dev')['infera:cluster'] as string)
    const run = await platformRun('dev', {
      config: {
        'infera:cluster': JSON.stringify({
          ...cluster,
          admins: [admin],
          ci: { ...cluster.ci, roleArn: admin },
        }),
      },
    })
    expect(run.find.one('eks:index:Cluster').inputs.accessEntries).toEqual({
      'admin-0': {
        principalArn: admin,
        accessPolicies: {
          admin: {
            policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
            accessScope: { type: 'cluster' },
          },
        },
      },
    })
  })
})

describe('Cluster: node groups', () => {
  it('has a system group on the standard AMI, untainted', () => {
    const system = prod.find.one(NODE_GROUP, '-system')
    expect(system.inputs).toMatchObject({
      amiType: 'AL2023_x86_64_STANDARD',
      instanceTypes: ['m6i.xlarge'],
      labels: { 'infera.dev/pool': 'system' },
      taints: [],
      subnetIds: ['subnet-private-0', 'subnet-private-1', 'subnet-private-2'],
    })
  })

  it('has a GPU group on the NVIDIA AMI, tainted and labelled for the device plugin', () => {
    const gpu = prod.find.one(NODE_GROUP, '-gpu-g6-xlarge')
    expect(gpu.inputs).toMatchObject({
      amiType: 'AL2023_x86_64_NVIDIA',
      instanceTypes: ['g6.xlarge'],
      taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' }],
      labels: { 'nvidia.com/gpu.present': 'true', 'k8s.amazonaws.com/accelerator': 'nvidia-l4' },
      // The autoscaler owns the size once the group exists.
      ignoreScalingChanges: true,
    })
    expect(gpu.inputs.nodeRoleArn).toBe(prod.find.one('aws:iam/role:Role', '-nodes').props.arn)
  })

  it('scales the GPU group to zero in dev and keeps GPU nodes up in prod', () => {
    expect(dev.find.one(NODE_GROUP, '-gpu-g6-xlarge').inputs.scalingConfig).toEqual({
      minSize: 0,
      desiredSize: 0,
      maxSize: 1,
    })
    expect(dev.find.one(NODE_GROUP, '-gpu-g6-xlarge').inputs.capacityType).toBe('SPOT')
    expect(prod.find.one(NODE_GROUP, '-gpu-g6-xlarge').inputs.scalingConfig).toEqual({
      minSize: 2,
      desiredSize: 2,
      maxSize: 8,
    })
  })

  it('gives nodes the worker, CNI, registry and SSM policies and no more', () => {
    const role = prod.find.one('aws:iam/role:Role', '-nodes')
    expect(policyDocument(role.inputs.assumeRolePolicy).Statement[0]?.Principal).toEqual({
      Service: 'ec2.amazonaws.com',
    })
    expect(prod.find.children(role).map((r) => r.inputs.policyArn.split('/').at(-1))).toEqual([
      'AmazonEKSWorkerNodePolicy',
      'AmazonEKS_CNI_Policy',
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonSSMManagedInstanceCore',
    ])
  })
})

describe('Cluster: add-ons', () => {
  it('installs every chart as a named release of a pinned version', () => {
    const releases = prod.find.all(RELEASE)
    expect(releases.map((r) => r.inputs.chart).sort()).toEqual(
      Object.values(CHARTS)
        .map((c) => c.chart)
        .sort(),
    )
    for (const release of releases) {
      expect(release.inputs.name).toMatch(/^[a-z-]+$/)
      expect(release.inputs.version).toMatch(/^\d+\.\d+\.\d+$/)
      expect(release.inputs.repositoryOpts.repo).toMatch(/^https:\/\//)
    }
  })

  it.each([
    ['nvidia-device-plugin', 'kube-system', 'https://nvidia.github.io/k8s-device-plugin'],
    ['cluster-autoscaler', 'kube-system', 'https://kubernetes.github.io/autoscaler'],
    ['metrics-server', 'kube-system', 'https://kubernetes-sigs.github.io/metrics-server/'],
    ['kube-prometheus-stack', 'monitoring', 'https://prometheus-community.github.io/helm-charts'],
    ['dcgm-exporter', 'monitoring', 'https://nvidia.github.io/dcgm-exporter/helm-charts'],
  ])('installs %s in %s from %s', (chart, namespace, repo) => {
    expect(prod.find.one(RELEASE, `-${chart}`).inputs).toMatchObject({
      name: chart,
      chart,
      namespace,
      repositoryOpts: { repo },
    })
  })

  it('runs the cluster autoscaler with an IRSA role that may scale only this cluster', () => {
    const values = prod.find.one(RELEASE, '-cluster-autoscaler').props.values
    const role = prod.find.one('aws:iam/role:Role', '-cluster-autoscaler')
    expect(values).toMatchObject({
      cloudProvider: 'aws',
      awsRegion: 'us-east-1',
      autoDiscovery: { clusterName: 'infera-prod' },
      image: { tag: 'v1.34.0' },
      rbac: {
        serviceAccount: {
          name: 'cluster-autoscaler',
          annotations: { 'eks.amazonaws.com/role-arn': role.props.arn },
        },
      },
    })
    const trust = policyDocument(role.inputs.assumeRolePolicy).Statement[0]
    expect(trust?.Condition?.StringEquals).toEqual({
      'oidc.eks.us-east-1.amazonaws.com/id/MOCK:sub':
        'system:serviceaccount:kube-system:cluster-autoscaler',
      'oidc.eks.us-east-1.amazonaws.com/id/MOCK:aud': 'sts.amazonaws.com',
    })
    const policy = policyDocument(prod.find.children(role)[0]?.inputs.policy)
    const scale = policy.Statement.find((s) =>
      [s.Action].flat().includes('autoscaling:SetDesiredCapacity'),
    )
    expect(scale?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/k8s.io/cluster-autoscaler/infera-prod': 'owned' },
    })
    const describe = policy.Statement.find((s) =>
      [s.Action].flat().includes('eks:DescribeNodegroup'),
    )
    expect(describe).toBeDefined()
  })

  it('has the EBS CSI driver (IRSA) and an encrypted gp3 default StorageClass', () => {
    const addon = prod.find.one('aws:eks/addon:Addon', '-aws-ebs-csi-driver')
    expect(addon.inputs).toMatchObject({
      clusterName: 'infera-prod',
      addonName: 'aws-ebs-csi-driver',
    })
    expect(addon.inputs.serviceAccountRoleArn).toBe(
      prod.find.one('aws:iam/role:Role', '-ebs-csi').props.arn,
    )
    const gp3 = prod.find.one('kubernetes:storage.k8s.io/v1:StorageClass')
    expect(gp3.inputs).toMatchObject({
      metadata: {
        name: 'gp3',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
    })
  })

  it('has metrics-server, which the HPAs read CPU from', () => {
    expect(prod.find.one(RELEASE, '-metrics-server').inputs.namespace).toBe('kube-system')
  })
})

const INSTANCE = 'aws:rds/instance:Instance'

describe('Database', () => {
  it('is encrypted PostgreSQL in the private subnets, not publicly accessible', () => {
    const db = prod.find.one(INSTANCE)
    expect(db.inputs).toMatchObject({
      engine: 'postgres',
      engineVersion: '16',
      storageEncrypted: true,
      publiclyAccessible: false,
      dbSubnetGroupName: prod.find.one('aws:rds/subnetGroup:SubnetGroup').props.name,
      vpcSecurityGroupIds: [prod.find.one('aws:ec2/securityGroup:SecurityGroup').props.id],
    })
    expect(prod.find.one('aws:rds/subnetGroup:SubnetGroup').inputs.subnetIds).toEqual([
      'subnet-private-0',
      'subnet-private-1',
      'subnet-private-2',
    ])
  })

  it("lets in PostgreSQL from the cluster's security group only", () => {
    const group = prod.find.one('aws:ec2/securityGroup:SecurityGroup')
    expect(group.inputs.ingress).toBeUndefined()
    const rules = prod.find.children(group)
    expect(rules.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        referencedSecurityGroupId: 'sg-infera-prod-cluster',
        ipProtocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
      }),
    ])
    expect(rules[0]?.inputs.cidrIpv4).toBeUndefined()
  })

  it('requires TLS', () => {
    expect(prod.find.one('aws:rds/parameterGroup:ParameterGroup').inputs.parameters).toEqual([
      { name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' },
    ])
  })

  it('is Multi-AZ, protected and backed up for two weeks in prod; single-AZ and disposable in dev', () => {
    expect(prod.find.one(INSTANCE).inputs).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      backupRetentionPeriod: 14,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: 'infera-prod-final',
    })
    expect(dev.find.one(INSTANCE).inputs).toMatchObject({
      instanceClass: 'db.t4g.micro',
      multiAz: false,
      deletionProtection: false,
      backupRetentionPeriod: 1,
      skipFinalSnapshot: true,
    })
  })

  it('generates the password, keeps it in Secrets Manager, and never outputs it', async () => {
    const password = prod.find.one('random:index/randomPassword:RandomPassword', 'infera-prod')
    expect(password.inputs).toMatchObject({ length: 40, special: false })
    const db = prod.find.one(INSTANCE)
    expect(isSecret(db.inputs.password)).toBe(true)
    const version = prod.find.one('aws:secretsmanager/secretVersion:SecretVersion')
    expect(isSecret(version.inputs.secretString)).toBe(true)
    const stored = JSON.parse(version.props.secretString)
    expect(stored).toMatchObject({
      username: 'infera',
      password: password.props.result,
      dbname: 'infera',
    })
    expect(stored.url).toMatch(/^postgres:\/\/infera:(\w+)@.+:5432\/infera\?sslmode=require$/)
    expect(stored.url).toContain(`:${password.props.result}@`)
    const outputs = JSON.stringify(
      await resolve(
        pulumi.all({
          endpoint: prod.outputs.databaseEndpoint,
          secret: prod.outputs.databaseSecretArn,
        }),
      ),
    )
    expect(outputs).not.toContain(password.props.result)
  })
})

const BUCKETS = ['artifacts', 'captures', 'reports']
const setting = (run: PlatformRun, bucket: string, kind: string) =>
  run.find.one(`aws:s3/bucket${kind}:Bucket${kind}`, `-${bucket}`)

describe('Storage', () => {
  it('has buckets for model artifacts, captured requests and reports', () => {
    const storage = prod.find.one('infera:platform:Storage')
    expect(prod.find.all('aws:s3/bucket:Bucket').map((b) => [b.name, b.parent])).toEqual(
      BUCKETS.map((b) => [`infera-prod-${b}`, storage.urn]),
    )
  })

  it.each(BUCKETS)('encrypts, versions and blocks public access to %s', (bucket) => {
    const { id } = prod.find.one('aws:s3/bucket:Bucket', `-${bucket}`).props
    expect(setting(prod, bucket, 'ServerSideEncryptionConfiguration').inputs).toEqual({
      bucket: id,
      rules: [
        { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' }, bucketKeyEnabled: true },
      ],
    })
    expect(setting(prod, bucket, 'Versioning').inputs).toEqual({
      bucket: id,
      versioningConfiguration: { status: 'Enabled' },
    })
    expect(setting(prod, bucket, 'PublicAccessBlock').inputs).toEqual({
      bucket: id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    })
    expect(setting(prod, bucket, 'OwnershipControls').inputs.rule).toEqual({
      objectOwnership: 'BucketOwnerEnforced',
    })
    const policy = policyDocument(setting(prod, bucket, 'Policy').inputs.policy)
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ])
  })

  it("expires captures after the stack's retention, and keeps model artifacts", () => {
    const rule = (run: PlatformRun, bucket: string) =>
      setting(run, bucket, 'LifecycleConfiguration').inputs.rules[0]
    expect(rule(dev, 'captures').expiration).toEqual({ days: 14 })
    expect(rule(prod, 'captures').expiration).toEqual({ days: 90 })
    expect(rule(prod, 'captures').noncurrentVersionExpiration).toEqual({ noncurrentDays: 1 })
    expect(rule(prod, 'artifacts').expiration).toBeUndefined()
    expect(rule(prod, 'reports')).toMatchObject({
      expiration: { days: 365 },
      transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
    })
    expect(rule(dev, 'reports').transitions).toBeUndefined()
  })

  it('lets dev be destroyed with its contents, never prod', () => {
    for (const bucket of BUCKETS) {
      expect(dev.find.one('aws:s3/bucket:Bucket', `-${bucket}`).inputs.forceDestroy).toBe(true)
      expect(prod.find.one('aws:s3/bucket:Bucket', `-${bucket}`).inputs.forceDestroy).toBe(false)
    }
  })
})

describe('Retraining', () => {
  it("reads the bootstrap stack's ECR repository per image, never creates one", () => {
    for (const image of IMAGES) {
      const repo = prod.find.one('aws:ecr/repository:Repository', `-${image}`)
      // A read: the resource's inputs are the lookup's, with no creation settings.
      expect(repo.inputs).toEqual({ name: `infera/${image}` })
    }
    expect(prod.resources.filter((r) => r.type.startsWith('aws:ecr/lifecyclePolicy'))).toEqual([])
  })

  it("has a SageMaker execution role that only SageMaker assumes, for this account's jobs", () => {
    const role = prod.find.one('aws:iam/role:Role', '-sagemaker')
    const trust = policyDocument(role.props.assumeRolePolicy)
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sagemaker.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ])
  })

  it("scopes the role's S3 access to the platform's artifacts and captures buckets", () => {
    const policy = policyDocument(
      prod.find.one('aws:iam/rolePolicy:RolePolicy', '-sagemaker').inputs.policy,
    )
    const buckets = ['artifacts', 'captures'].map(
      (b) => prod.find.one('aws:s3/bucket:Bucket', `-${b}`).props.arn as string,
    )
    const s3 = policy.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')))
    expect(s3.length).toBeGreaterThan(0)
    for (const statement of s3)
      for (const resource of [statement.Resource].flat())
        expect(buckets.some((arn) => resource === arn || resource.startsWith(`${arn}/`))).toBe(true)
    // Training output goes under training/ in the artifacts bucket, nowhere else.
    const writes = s3.filter((s) => [s.Action].flat().includes('s3:PutObject'))
    expect(writes.map((s) => s.Resource)).toEqual([`${buckets[0]}/training/*`])
  })

  it('lets the role pull only the trainer image', () => {
    const policy = policyDocument(
      prod.find.one('aws:iam/rolePolicy:RolePolicy', '-sagemaker').inputs.policy,
    )
    const pull = policy.Statement.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'))
    expect(pull?.Resource).toBe(
      prod.find.one('aws:ecr/repository:Repository', '-trainer').props.arn,
    )
  })
})
