// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by function and
// by owner (the gateway's own code, hono, node's internals, other packages), as markdown tables.
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Who a frame belongs to: a package, a repository folder, node's own code, or V8's bookkeeping. */
export function ownerOf({ url, functionName }: CallFrame): string {
  if (url === '') {
    // (garbage collector), (program), (idle): V8's own rows.
    return functionName.startsWith('(') ? functionName : 'native'
  }
  if (url.startsWith('node:')) return 'node internals'
  const inPackage = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (inPackage) return inPackage[1] as string
  const inRepo = url.match(/\/(services\/[^/]+\/(?:src|adapter)\/[^/]+|services\/shared\/[^/]+)/)
  return inRepo ? (inRepo[1] as string) : url
}

/** Microseconds of self time per key, largest first. */
function selfTimes(profile: CpuProfile, key: (frame: CallFrame) => string) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const totals = new Map<string, number>()
  for (const [i, id] of profile.samples.entries()) {
    const frame = byId.get(id)
    if (!frame) continue
    const k = key(frame)
    totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  return [...totals].sort((a, b) => b[1] - a[1])
}

/**
 * Microseconds of total time (self and callees) per function of the frames `mine` selects: the
 * flame graph's widths for those frames, a sample counted once per function however deep it recurses.
 */
function inclusiveTimes(profile: CpuProfile, mine: (frame: CallFrame) => boolean) {
  const parent = new Map<number, number>()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const totals = new Map<string, number>()
  for (const [i, leaf] of profile.samples.entries()) {
    const seen = new Set<string>()
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)
      if (!frame || !mine(frame)) continue
      const k = functionKey(frame)
      if (seen.has(k)) continue
      seen.add(k)
      totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0))
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1])
}

function table(
  heading: string,
  rows: [string, number][],
  total: number,
  top: number,
  kind = 'self',
) {
  const lines = [`| ${heading} | ${kind} ms | share |`, '|---|---:|---:|']
  for (const [name, us] of rows.slice(0, top)) {
    lines.push(`| ${name} | ${(us / 1000).toFixed(0)} | ${((us / total) * 100).toFixed(1)}% |`)
  }
  return lines.join('\n')
}

const shortUrl = (url: string) => url.replace(/^.*?\/(node_modules|services)\//, '$1/')
const functionKey = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'} ${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`
const isGateway = (frame: CallFrame) => frame.url.includes('services/gateway/')

/**
 * Self time by owner, the `top` functions by self time, and the gateway's own functions by total
 * time. Run the gateway from an esbuild bundle (`--keep-names`) for names and lines: tsx's output
 * leaves most closures anonymous.
 */
export function summarizeProfile(path: string, top = 25): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const total = profile.timeDeltas.reduce((sum, us) => sum + us, 0)
  const byOwner = selfTimes(profile, ownerOf)
  return [
    `${(total / 1000).toFixed(0)} ms sampled`,
    table('owner', byOwner, total, top),
    table('function', selfTimes(profile, functionKey), total, top),
    table('gateway function', inclusiveTimes(profile, isGateway), total, top, 'total'),
  ].join('\n\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2)
  if (!file) throw new Error('usage: profile.ts FILE.cpuprofile [TOP]')
  console.log(summarizeProfile(file, top ? Number(top) : undefined))
}
