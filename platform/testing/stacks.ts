import { type MockedResource, type RunOptions, runPlatform } from './mocks.ts'

export type PlatformRun = Awaited<ReturnType<typeof runPlatform>> & { find: Finder }

/** Lookups over one run's resources. */
export interface Finder {
  /** Every resource of a type, optionally only those whose name ends with `suffix`. */
  all(type: string, suffix?: string): MockedResource[]
  /** The one resource of a type whose name ends with `suffix`; throws unless exactly one. */
  one(type: string, suffix?: string): MockedResource
  /** The resources whose parent is `parent`. */
  children(parent: MockedResource): MockedResource[]
}

function finder(resources: MockedResource[]): Finder {
  const all = (type: string, suffix = '') =>
    resources.filter((r) => r.type === type && r.name.endsWith(suffix))
  return {
    all,
    one(type, suffix = '') {
      const found = all(type, suffix)
      if (found.length !== 1)
        throw new Error(`expected one ${type} named *${suffix}, found ${found.length}`)
      return found[0] as MockedResource
    },
    children: (parent) => resources.filter((r) => r.parent === parent.urn),
  }
}

// The mocks are process-wide, so runs go one after another; a stack's plain run is kept.
let queue: Promise<unknown> = Promise.resolve()
const cache = new Map<string, Promise<PlatformRun>>()

/** The program run under mocks for a stack (its real stack file), shared by a test file's tests. */
export function platformRun(stack: string, options?: RunOptions): Promise<PlatformRun> {
  const cached = options ? undefined : cache.get(stack)
  if (cached) return cached
  const run = queue.then(async () => {
    const result = await runPlatform(stack, options)
    return { ...result, find: finder(result.resources) }
  })
  queue = run.catch(() => undefined)
  if (!options) cache.set(stack, run)
  return run
}

/** An IAM policy document (JSON text) as an object. */
export const policyDocument = (text: string) =>
  JSON.parse(text) as {
    Statement: {
      Effect: string
      Action: string | string[]
      Resource: string | string[]
      Principal?: Record<string, string>
      Condition?: Record<string, Record<string, unknown>>
    }[]
  }
