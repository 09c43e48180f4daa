import type { PolicyResource, StackValidationPolicy } from '@pulumi/policy'

/** An IPv4 CIDR block as its first address and its size, or undefined if it is not one. */
function block(cidr: unknown): { first: number; size: number; mask: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(String(cidr))
  if (!match) return undefined
  const octets = match.slice(1, 5).map(Number)
  const mask = Number(match[5])
  if (octets.some((o) => o > 255) || mask > 32) return undefined
  const first = octets.reduce((n, o) => n * 256 + o, 0)
  const size = 2 ** (32 - mask)
  return first % size === 0 ? { first, size, mask } : undefined
}

/** AWS's smallest and largest VPCs and subnets. */
const LARGEST = 16
const SMALLEST = 28

/**
 * What is wrong with subnets laid out in a VPC: CIDRs that are not blocks (host bits set), sizes
 * AWS refuses, subnets outside the VPC or overlapping one another.
 */
function cidrLayoutProblems(vpcCidr: string, subnets: string[]): string[] {
  const vpc = block(vpcCidr)
  if (!vpc) return [`VPC CIDR ${vpcCidr} is not an IPv4 CIDR block without host bits`]
  const problems: string[] = []
  if (vpc.mask < LARGEST || vpc.mask > SMALLEST)
    problems.push(`VPC CIDR ${vpcCidr} must be between /${LARGEST} and /${SMALLEST}`)
  const placed: [string, NonNullable<ReturnType<typeof block>>][] = []
  for (const cidr of subnets) {
    const subnet = block(cidr)
    if (!subnet) {
      problems.push(`subnet ${cidr} is not an IPv4 CIDR block without host bits`)
      continue
    }
    if (subnet.mask < LARGEST || subnet.mask > SMALLEST)
      problems.push(`subnet ${cidr} must be between /${LARGEST} and /${SMALLEST}`)
    if (subnet.first < vpc.first || subnet.first + subnet.size > vpc.first + vpc.size)
      problems.push(`subnet ${cidr} is not inside the VPC's ${vpcCidr}`)
    for (const [other, o] of placed)
      if (subnet.first < o.first + o.size && o.first < subnet.first + subnet.size)
        problems.push(`subnet ${cidr} overlaps subnet ${other}`)
    placed.push([cidr, subnet])
  }
  return problems
}

interface SubnetSpec {
  type?: string
  cidrBlocks?: string[]
  cidrMask?: number
  size?: number
}

/**
 * awsx's VPC: explicit `cidrBlocks` (one per AZ) are checked as laid out; masks are checked with
 * awsx's automatic rule, which gives each AZ an equal power-of-two share of the VPC and fits every
 * spec's subnet of that AZ into it (a /16 over 3 AZs: a /18 each).
 */
function awsxVpcProblems(props: PolicyResource['props']): string[] {
  const vpc = block(props.cidrBlock)
  const azs = Number(props.numberOfAvailabilityZones ?? 3)
  const specs: SubnetSpec[] = props.subnetSpecs ?? []
  if (!vpc) return cidrLayoutProblems(props.cidrBlock, [])
  const explicit = specs.flatMap((s) => s.cidrBlocks ?? [])
  const problems = cidrLayoutProblems(props.cidrBlock, explicit)
  for (const spec of specs)
    if (spec.cidrBlocks && spec.cidrBlocks.length !== azs)
      problems.push(`${spec.type} subnets list ${spec.cidrBlocks.length} CIDRs for ${azs} AZs`)
  const automatic = specs.filter((s) => !s.cidrBlocks)
  const perAz = vpc.size / 2 ** Math.ceil(Math.log2(azs))
  const needed = automatic.reduce(
    (sum, s) => sum + (s.size ?? (s.cidrMask === undefined ? 0 : 2 ** (32 - s.cidrMask))),
    0,
  )
  if (automatic.length > 0 && needed > perAz)
    problems.push(
      `${automatic.map((s) => `${s.type} /${s.cidrMask ?? `${s.size} addresses`}`).join(' + ')} ` +
        `need ${needed} addresses per AZ; awsx gives each of ${azs} AZs ${perAz} of ${props.cidrBlock}`,
    )
  return problems
}

const VPC = 'aws:ec2/vpc:Vpc'
const SUBNET = 'aws:ec2/subnet:Subnet'
const AWSX_VPC = 'awsx:ec2:Vpc'

const inVpc = (subnet: PolicyResource, vpc: PolicyResource) =>
  (subnet.props.vpcId !== undefined && subnet.props.vpcId === vpc.props.id) ||
  (subnet.propertyDependencies.vpcId ?? []).some((dep) => dep.urn === vpc.urn)

/**
 * Every VPC's subnets fit it: inside its CIDR, of sizes AWS allows, not overlapping — for subnets
 * declared as resources and for awsx's VPC component, whose layout mocks never run.
 */
export const cidrLayout: StackValidationPolicy = {
  name: 'cidr-layout',
  description: 'Subnets must lie inside their VPC, fit it, and not overlap.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const vpc of args.resources) {
      // A CIDR not known until `up` (another resource's output) can't be judged here.
      if (typeof vpc.props.cidrBlock !== 'string') continue
      const problems =
        vpc.type === AWSX_VPC
          ? awsxVpcProblems(vpc.props)
          : vpc.type === VPC
            ? cidrLayoutProblems(
                vpc.props.cidrBlock,
                args.resources
                  .filter((r) => r.type === SUBNET && inVpc(r, vpc))
                  .map((r) => r.props.cidrBlock)
                  .filter((cidr) => typeof cidr === 'string'),
              )
            : []
      for (const problem of problems) report(problem, vpc.urn)
    }
  },
}
