import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { PodSpec } from '../lib/kubernetes.ts'
import { messages, type TestResource } from '../testing.ts'
import { gpuNodeGroupsAutoscaled, nodesScaleDown } from './autoscaler.ts'
import { ciBuiltRepositories } from './ci-images.ts'
import { cidrLayout } from './cidr-layout.ts'
import { BUILT_REPOSITORIES, imagesBuilt } from './images-built.ts'
import { loadBalancerTls } from './load-balancer-tls.ts'
import { nameLimits } from './name-limits.ts'
import { securityGroupDescription } from './security-group-description.ts'

const resource = (type: string, props: Record<string, unknown>, name = 'r'): TestResource => ({
  type,
  name,
  props,
})

describe('security-group-description', () => {
  const group = (props: Record<string, unknown>) =>
    resource('aws:ec2/securityGroup:SecurityGroup', props)

  it("passes EC2's characters, and a group without a description", async () => {
    expect(
      await messages(securityGroupDescription, [
        group({ description: 'PostgreSQL: from the cluster (5432) only' }),
        group({}),
      ]),
    ).toEqual([])
  })

  it('fails an apostrophe in a group, an inline rule or a rule resource, and over 255', async () => {
    const failing = await messages(securityGroupDescription, [
      group({ description: "the database's group" }),
      group({ description: 'ok', ingress: [{ description: 'from "ci"' }] }),
      resource('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', {
        description: 'x'.repeat(256),
      }),
    ])
    expect(failing).toHaveLength(3)
    expect(failing[0]).toMatch(/^description "the database's group": has "'"/)
    expect(failing[1]).toMatch(/^ingress\[0\]\.description/)
    expect(failing[2]).toMatch(/256 characters/)
  })
})

describe('name-limits', () => {
  it('passes names that fit, given or generated', async () => {
    expect(
      await messages(nameLimits, [
        resource('aws:iam/role:Role', { name: 'infera-prod-registry' }),
        resource('aws:iam/role:Role', {}, 'infera-prod-cluster-autoscaler'),
        resource('aws:lb/targetGroup:TargetGroup', {}, 'infera-prod-gateway'),
        resource('aws:rds/instance:Instance', {}, 'infera-prod'),
        resource('aws:s3/bucket:Bucket', { bucket: 'infera-prod-artifacts-0a1b2c3' }),
      ]),
    ).toEqual([])
  })

  it("fails names over AWS's limits, the generated ones included", async () => {
    expect(
      await messages(nameLimits, [
        resource(
          'aws:iam/role:Role',
          {},
          'infera-staging-inference-tabular-capture-uploader-irsa-role',
        ),
        resource('aws:iam/role:Role', { namePrefix: 'p'.repeat(39) }),
        resource('aws:lb/loadBalancer:LoadBalancer', {}, 'infera-staging-gateway-nlb'),
        resource('aws:rds/instance:Instance', { identifier: 'infera--prod' }),
        resource('aws:s3/bucket:Bucket', { bucket: 'Infera_Prod' }),
      ]),
    ).toEqual([
      "name 'infera-staging-inference-tabular-capture-uploader-irsa-role-0000000' (generated) is 67 characters; IAM allows 64",
      `namePrefix '${'p'.repeat(39)}' is 39 characters; a name prefix allows 38`,
      "name 'infera-staging-gateway-nlb-0000000' (generated) is 34 characters; ELB allows 1-32",
      "identifier 'infera--prod' must not contain two hyphens in a row",
      "bucket 'Infera_Prod' may hold only lowercase letters, digits, dots and hyphens, a letter or digit at each end",
    ])
  })
})

describe('cidr-layout', () => {
  const vpc = resource('aws:ec2/vpc:Vpc', { id: 'vpc-1', cidrBlock: '10.40.0.0/16' }, 'vpc')
  const subnet = (cidrBlock: string, vpcId = 'vpc-1') =>
    resource('aws:ec2/subnet:Subnet', { cidrBlock, vpcId }, cidrBlock)

  it('passes subnets inside their VPC that do not overlap', async () => {
    const subnets = ['10.40.0.0/18', '10.40.64.0/18', '10.40.128.0/18', '10.40.192.0/20']
    expect(await messages(cidrLayout, [vpc, ...subnets.map((s) => subnet(s))])).toEqual([])
  })

  it("fails subnets outside the VPC, overlapping, or of sizes AWS refuses; other VPCs' aside", async () => {
    expect(
      await messages(cidrLayout, [
        vpc,
        subnet('10.40.0.0/18'),
        subnet('10.40.32.0/20'),
        subnet('10.41.0.0/20'),
        subnet('10.40.255.0/29'),
        subnet('10.99.0.0/20', 'vpc-other'),
      ]),
    ).toEqual([
      'subnet 10.40.32.0/20 overlaps subnet 10.40.0.0/18',
      "subnet 10.41.0.0/20 is not inside the VPC's 10.40.0.0/16",
      'subnet 10.40.255.0/29 must be between /16 and /28',
    ])
  })

  const awsx = (numberOfAvailabilityZones: number, subnetSpecs: unknown[]) =>
    resource('awsx:ec2:Vpc', { cidrBlock: '10.40.0.0/16', numberOfAvailabilityZones, subnetSpecs })
  const masks = [
    { type: 'Public', cidrMask: 20 },
    { type: 'Private', cidrMask: 18 },
  ]

  it("applies awsx's automatic layout: public /20 + private /18 fit 2 AZs of a /16, not 3", async () => {
    expect(await messages(cidrLayout, [awsx(2, masks)])).toEqual([])
    expect(await messages(cidrLayout, [awsx(3, masks)])).toEqual([
      'Public /20 + Private /18 need 20480 addresses per AZ; awsx gives each of 3 AZs 16384 of 10.40.0.0/16',
    ])
  })

  it("checks awsx's explicit CIDR blocks as laid out, one per AZ", async () => {
    const fits = [
      { type: 'Private', cidrBlocks: ['10.40.0.0/18', '10.40.64.0/18'] },
      { type: 'Public', cidrBlocks: ['10.40.128.0/20', '10.40.144.0/20'] },
    ]
    expect(await messages(cidrLayout, [awsx(2, fits)])).toEqual([])
    const wrong = [
      { type: 'Private', cidrBlocks: ['10.40.0.0/18', '10.40.64.0/18'] },
      { type: 'Public', cidrBlocks: ['10.40.64.0/20'] },
    ]
    expect(await messages(cidrLayout, [awsx(2, wrong)])).toEqual([
      'subnet 10.40.64.0/20 overlaps subnet 10.40.64.0/18',
      'Public subnets list 1 CIDRs for 2 AZs',
    ])
  })
})

describe('gpu-node-groups-autoscaled', () => {
  const group = (instanceTypes: string[], labels: Record<string, string>) =>
    resource('eks:index:ManagedNodeGroup', {
      amiType: 'AL2023_x86_64_NVIDIA',
      instanceTypes,
      labels,
    })

  it('passes a GPU group of one family labelled with its GPU type, and CPU groups', async () => {
    expect(
      await messages(gpuNodeGroupsAutoscaled, [
        group(['g6.xlarge', 'g6.2xlarge'], { 'k8s.amazonaws.com/accelerator': 'nvidia-l4' }),
        resource('eks:index:ManagedNodeGroup', { instanceTypes: ['m6i.large', 'm7i.large'] }),
      ]),
    ).toEqual([])
  })

  it('fails a GPU group without the label, or mixing GPU families', async () => {
    expect(
      await messages(gpuNodeGroupsAutoscaled, [group(['g5.xlarge', 'g6.xlarge'], {})]),
    ).toEqual([
      'a GPU node group must have the label k8s.amazonaws.com/accelerator: <GPU type>',
      'a GPU node group must hold one instance family, not g5 and g6: declare one group per GPU type',
    ])
  })
})

describe('nodes-scale-down', () => {
  const deployment = (annotations: Record<string, string>) =>
    resource('kubernetes:apps/v1:Deployment', {
      spec: {
        template: {
          metadata: { annotations },
          spec: { containers: [{ name: 'a' }], volumes: [{ name: 'tmp', emptyDir: {} }] },
        },
      },
    })
  const autoscaler = (extraArgs: Record<string, unknown>) =>
    resource('kubernetes:helm.sh/v3:Release', {
      chart: 'cluster-autoscaler',
      values: { extraArgs },
    })

  it('passes pods with an emptyDir annotated safe to evict, or an autoscaler told to ignore it', async () => {
    const safe = { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' }
    expect(await messages(nodesScaleDown, [deployment(safe), autoscaler({})])).toEqual([])
    expect(
      await messages(nodesScaleDown, [
        deployment({}),
        autoscaler({ 'skip-nodes-with-local-storage': false }),
      ]),
    ).toEqual([])
  })

  it('fails a pod with an emptyDir that pins its node', async () => {
    expect(await messages(nodesScaleDown, [deployment({}), autoscaler({})])).toEqual([
      expect.stringMatching(/^pods with an emptyDir keep their node from scaling down/),
    ])
  })
})

describe('load-balancer-tls', () => {
  const service = (annotations: Record<string, string>, ports = [443]) =>
    resource('kubernetes:core/v1:Service', {
      metadata: { annotations },
      spec: { type: 'LoadBalancer', ports: ports.map((port) => ({ port })) },
    })
  const cert = {
    'service.beta.kubernetes.io/aws-load-balancer-ssl-cert':
      'arn:aws:acm:us-east-1:1:certificate/x',
    'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
  }
  const internal = { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }

  it('passes TLS on every public port, internal load balancers, and plain HTTP in dev', async () => {
    expect(await messages(loadBalancerTls, [service(cert), service(internal, [80])])).toEqual([])
    expect(await messages(loadBalancerTls, [service({}, [80])], { environment: 'dev' })).toEqual([])
  })

  it('fails a public load balancer without a certificate, or with a plain port, outside dev', async () => {
    expect(
      await messages(loadBalancerTls, [service({}, [80]), service(cert, [443, 80])], {
        environment: 'staging',
      }),
    ).toEqual([
      'an internet-facing load balancer needs a certificate: annotate service.beta.kubernetes.io/aws-load-balancer-ssl-cert',
      'port 80 of an internet-facing load balancer serves plain text: list it in service.beta.kubernetes.io/aws-load-balancer-ssl-ports',
    ])
  })
})

describe('images-built', () => {
  const ecr = '123456789012.dkr.ecr.us-east-1.amazonaws.com'
  const pod = (...images: string[]): TestResource =>
    resource('kubernetes:apps/v1:Deployment', {
      spec: {
        template: {
          spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } as PodSpec,
        },
      },
    })

  it('passes images of the repositories CI builds, and third-party images', async () => {
    expect(
      await messages(imagesBuilt, [
        pod(`${ecr}/infera/inference:0a1b2c3`, 'public.ecr.aws/aws-cli/aws-cli:2.27.0'),
      ]),
    ).toEqual([])
  })

  it('fails an image from a repository no build pushes', async () => {
    expect(await messages(imagesBuilt, [pod(`${ecr}/infera-prod/inference:0.1.0`)])).toEqual([
      `container c0 image '${ecr}/infera-prod/inference:0.1.0': no build pushes infera-prod/inference; CI builds ${BUILT_REPOSITORIES.join(', ')}`,
    ])
    expect(
      await messages(imagesBuilt, [pod(`${ecr}/infera/inference:1`)], {
        builtRepositories: ['infera/gateway'],
      }),
    ).toHaveLength(1)
  })
})

describe("the CI workflow's build steps", () => {
  const dir = mkdtempSync(join(tmpdir(), 'workflow-'))
  afterAll(() => rmSync(dir, { recursive: true }))
  const workflow = (text: string) => {
    const file = join(dir, `${text.length}.yml`)
    writeFileSync(file, text)
    return file
  }

  it('name the repositories of every platform image but the trainer (yours to build)', () => {
    expect(ciBuiltRepositories().sort()).toEqual([
      'infera/drift',
      'infera/gateway',
      'infera/inference',
      'infera/registry',
    ])
  })

  it('fill in each matrix entry, and fail a workflow that builds nothing it names', () => {
    const built = workflow(`
jobs:
  images:
    strategy: { matrix: { include: [{ image: a }, { image: b }] } }
    steps:
      - env: { REPOSITORY: 'infera/\${{ matrix.image }}' }
        run: docker buildx build --platform linux/amd64 --tag "$REPOSITORY" .
  test:
    steps: [{ run: npm test, env: { REPOSITORY: infera/not-built } }]
`)
    expect(ciBuiltRepositories(built)).toEqual(['infera/a', 'infera/b'])
    expect(() =>
      ciBuiltRepositories(workflow('jobs: { test: { steps: [{ run: npm test }] } }')),
    ).toThrow(/no step runs docker build/)
  })
})
