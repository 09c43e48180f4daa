import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'
import type { PlatformConfig } from '../config/index.ts'
import { planSubnets } from './subnets.ts'

export { planSubnets, type SubnetLayout, type SubnetPlan } from './subnets.ts'

export interface NetworkArgs {
  config: PlatformConfig['network']
  /** The region, for the S3 endpoint's service name. */
  region: string
  /** The EKS cluster's name, for the subnet tags its load balancers are discovered by. */
  clusterName: string
}

/**
 * The VPC: public subnets for load balancers and NAT gateways, private subnets for nodes and the
 * database, in two or three AZs, at CIDRs the program computes (`planSubnets`) rather than awsx:
 * its automatic layout gives each of three AZs a quarter of the VPC, too small for public /20 +
 * private /18. An S3 gateway endpoint keeps S3 and ECR's layer downloads off the NAT gateways.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>
  readonly publicSubnetIds: pulumi.Output<string[]>
  readonly privateSubnetIds: pulumi.Output<string[]>

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Network', name, {}, opts)
    const { config, clusterName } = args
    const cluster = { [`kubernetes.io/cluster/${clusterName}`]: 'shared' }
    const subnets = planSubnets(config.cidrBlock, config.availabilityZones, config.subnets)
    const vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: config.cidrBlock,
        numberOfAvailabilityZones: config.availabilityZones,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        // One NAT gateway is a single point of failure and cross-AZ traffic; one per AZ is neither.
        natGateways: { strategy: config.natGateways === 'single' ? 'Single' : 'OnePerAz' },
        subnetStrategy: 'Auto',
        subnetSpecs: [
          // Internet-facing load balancers land in subnets tagged role/elb, internal ones in
          // role/internal-elb: both the in-tree controller and the AWS LB controller look for these.
          {
            type: 'Public',
            cidrBlocks: subnets.public,
            tags: { ...cluster, 'kubernetes.io/role/elb': '1' },
          },
          {
            type: 'Private',
            cidrBlocks: subnets.private,
            tags: { ...cluster, 'kubernetes.io/role/internal-elb': '1' },
          },
        ],
        // A gateway endpoint is free, and ECR serves image layers from S3: pulls and the buckets'
        // traffic skip the NAT gateways' per-GB charge. `Auto` puts it on the VPC's route tables.
        vpcEndpointStrategy: 'Auto',
        vpcEndpointSpecs: [
          { serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: 'Gateway' },
        ],
        tags: { Name: name },
      },
      { parent: this },
    )
    this.vpcId = vpc.vpcId
    this.publicSubnetIds = vpc.publicSubnetIds
    this.privateSubnetIds = vpc.privateSubnetIds
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    })
  }
}
