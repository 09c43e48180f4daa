// The VPC's subnet layout, computed by the program, for every stack file: AWS (and awsx) refuse
// subnets that don't fit, and only at `pulumi up`.
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../config/index.ts'
import { stackConfig } from '../testing/mocks.ts'
import { platformRun } from '../testing/stacks.ts'
import { planSubnets } from './index.ts'

const STACKS = ['dev', 'staging', 'prod']
const DEFAULT_LAYOUT = { publicMask: 20, privateMask: 18 }

/** An IPv4 CIDR as its first address and size, for checking containment and overlap. */
function range(cidr: string): [number, number] {
  const [address = '', mask = ''] = cidr.split('/')
  const start = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
  return [start, 2 ** (32 - Number(mask))]
}
const inside = (inner: string, outer: string) => {
  const [a, n] = range(inner)
  const [b, m] = range(outer)
  return a >= b && a + n <= b + m && a % n === 0
}
const overlap = (x: string, y: string) => {
  const [a, n] = range(x)
  const [b, m] = range(y)
  return a < b + m && b < a + n
}

describe('planSubnets', () => {
  it('lays out three AZs of public /20 and private /18 in a /16, largest first', () => {
    expect(planSubnets('10.40.0.0/16', 3, DEFAULT_LAYOUT)).toEqual({
      private: ['10.40.0.0/18', '10.40.64.0/18', '10.40.128.0/18'],
      public: ['10.40.192.0/20', '10.40.208.0/20', '10.40.224.0/20'],
    })
  })

  it("refuses a layout that doesn't fit, naming the sizes", () => {
    expect(() => planSubnets('10.0.0.0/16', 3, { publicMask: 20, privateMask: 17 })).toThrow(
      "subnets don't fit in 10.0.0.0/16: 3 AZs × (public /20 + private /17) need 110592 addresses, the VPC has 65536",
    )
  })

  it('refuses masks outside the VPC or below /28, and CIDRs with host bits', () => {
    expect(() => planSubnets('10.0.0.0/16', 2, { publicMask: 15, privateMask: 18 })).toThrow(
      /publicMask \/15 must be between/,
    )
    expect(() => planSubnets('10.0.0.0/16', 2, { publicMask: 29, privateMask: 18 })).toThrow(/\/28/)
    expect(() => planSubnets('10.0.1.0/16', 2, DEFAULT_LAYOUT)).toThrow(/host bits/)
  })

  it('fits smaller VPCs exactly, every block on its boundary and none overlapping', () => {
    const plan = planSubnets('172.16.0.0/20', 3, { publicMask: 24, privateMask: 22 })
    const all = [...plan.private, ...plan.public]
    expect(all).toHaveLength(6)
    for (const [i, cidr] of all.entries()) {
      expect(inside(cidr, '172.16.0.0/20')).toBe(true)
      for (const other of all.slice(i + 1)) expect(overlap(cidr, other)).toBe(false)
    }
  })
})

describe('infera:network config', () => {
  const withNetwork = (fields: Record<string, unknown>) => {
    const raw = stackConfig('prod')
    const network = { ...JSON.parse(raw['infera:network'] as string), ...fields }
    return { ...raw, 'infera:network': JSON.stringify(network) }
  }

  it('defaults each AZ to a public /20 and a private /18', () => {
    expect(parseConfig(stackConfig('prod'), 'prod').network.subnets).toEqual(DEFAULT_LAYOUT)
  })

  it("refuses a layout that doesn't fit the VPC, before any resource is declared", () => {
    const tooBig = withNetwork({ subnets: { publicMask: 20, privateMask: 17 } })
    expect(() => parseConfig(tooBig, 'prod')).toThrow(ConfigError)
    expect(() => parseConfig(tooBig, 'prod')).toThrow(
      /infera:network\.subnets: subnets don't fit in 10\.40\.0\.0\/16: 3 AZs/,
    )
    expect(() => parseConfig(withNetwork({ cidrBlock: '10.40.0.0/18' }), 'prod')).toThrow(
      /don't fit in 10\.40\.0\.0\/18/,
    )
  })
})

describe.each(STACKS)('the %s stack', (stack) => {
  it('gives the VPC one public and one private subnet per AZ, inside it and disjoint', async () => {
    const run = await platformRun(stack)
    const network = parseConfig(stackConfig(stack), stack).network
    const vpc = run.find.one('awsx:ec2:Vpc')
    const specs = vpc.inputs.subnetSpecs as { type: string; cidrBlocks?: string[] }[]
    const cidrs = Object.fromEntries(specs.map((s) => [s.type, s.cidrBlocks]))
    // Explicit blocks: awsx's own allocation gives each of 3 AZs a /18, too small for /20 + /18.
    expect(cidrs.Public).toHaveLength(network.availabilityZones)
    expect(cidrs.Private).toHaveLength(network.availabilityZones)
    const all = [...(cidrs.Public ?? []), ...(cidrs.Private ?? [])]
    for (const [i, cidr] of all.entries()) {
      expect(inside(cidr, network.cidrBlock), `${cidr} in ${network.cidrBlock}`).toBe(true)
      for (const other of all.slice(i + 1)) expect(overlap(cidr, other)).toBe(false)
    }
    expect(specs.every((s) => !('cidrMask' in s))).toBe(true)
  })

  it('keeps S3 (and ECR layer pulls) off the NAT gateways with a gateway endpoint', async () => {
    const run = await platformRun(stack)
    const vpc = run.find.one('awsx:ec2:Vpc')
    expect(vpc.inputs.vpcEndpointStrategy).toBe('Auto')
    expect(vpc.inputs.vpcEndpointSpecs).toEqual([
      { serviceName: 'com.amazonaws.us-east-1.s3', vpcEndpointType: 'Gateway' },
    ])
  })
})
