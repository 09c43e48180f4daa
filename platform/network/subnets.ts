/** A subnet layout: the prefix length of each AZ's public and private subnet. */
export interface SubnetLayout {
  publicMask: number
  privateMask: number
}

/** Each AZ's subnets, in AZ order. */
export interface SubnetPlan {
  public: string[]
  private: string[]
}

/** The smallest subnet AWS allows (16 addresses, 5 of them reserved). */
const SMALLEST = 28

const toInt = (address: string) =>
  address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
const toAddress = (n: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')

/**
 * Lays out one public and one private subnet per AZ inside an IPv4 VPC CIDR, largest first so that
 * every block starts on its own boundary without gaps, and throws, naming the sizes, when they
 * don't fit. The program hands these CIDRs to the VPC, so what the tests see is what AWS gets.
 */
export function planSubnets(cidr: string, azCount: number, layout: SubnetLayout): SubnetPlan {
  const [address = '', bits = ''] = cidr.split('/')
  const vpcMask = Number(bits)
  if (!/^\d+(\.\d+){3}$/.test(address) || !Number.isInteger(vpcMask) || vpcMask > 32)
    throw new Error(`${cidr} is not an IPv4 CIDR block`)
  if (!Number.isInteger(azCount) || azCount < 1) throw new Error(`azCount must be positive`)
  for (const [kind, mask] of Object.entries(layout))
    if (!Number.isInteger(mask) || mask < vpcMask || mask > SMALLEST)
      throw new Error(`${kind} /${mask} must be between the VPC's /${vpcMask} and /${SMALLEST}`)
  const size = (mask: number) => 2 ** (32 - mask)
  const start = toInt(address)
  if (start % size(vpcMask) !== 0) throw new Error(`${cidr} has host bits set`)

  const requests = (['private', 'public'] as const)
    .flatMap((kind) => {
      const mask = kind === 'public' ? layout.publicMask : layout.privateMask
      return Array.from({ length: azCount }, (_, az) => ({ kind, az, mask }))
    })
    // Largest first: each block then ends on the next one's boundary.
    .sort((a, b) => a.mask - b.mask)
  const needed = requests.reduce((sum, r) => sum + size(r.mask), 0)
  if (needed > size(vpcMask))
    throw new Error(
      `subnets don't fit in ${cidr}: ${azCount} AZs × (public /${layout.publicMask} + private ` +
        `/${layout.privateMask}) need ${needed} addresses, the VPC has ${size(vpcMask)}`,
    )
  const plan: SubnetPlan = { public: [], private: [] }
  let next = start
  for (const r of requests) {
    plan[r.kind][r.az] = `${toAddress(next)}/${r.mask}`
    next += size(r.mask)
  }
  return plan
}
