// Each service's runtime import graph (issue 16): services reach each other only through a client
// and the contract types, no module cycle, and each image copies exactly the folders it loads.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  commandGraph,
  cycles,
  importGraph,
  isPublicSurface,
  moduleImports,
  ROOT,
  readDockerfile,
  serviceOf,
} from '../testing/imports/index.ts'

const SERVICES = ['drift', 'gateway', 'inference', 'registry']

/** Known paths into another service's own code, each with why it is there. */
const ALLOWED: { from: string; into: RegExp; why: string }[] = [
  {
    from: 'registry',
    into: /^services\/inference\/src\/(config|errors|model|protocol\/v1|tensor)\//,
    why: "the evaluation gate loads and scores versions with the inference service's model loader",
  },
  {
    from: 'drift',
    into: /^services\/registry\/src\/gate\//,
    why: "retraining scores a candidate on production's training data with the registry's gate, in process",
  },
  {
    from: 'library',
    into: /^services\/inference\/src\/tensor\//,
    why: "training's ONNX writer stores FP16 initializers with the inference service's conversion",
  },
]

const directories = (path: string) =>
  existsSync(join(ROOT, path))
    ? readdirSync(join(ROOT, path)).filter((name) => statSync(join(ROOT, path, name)).isDirectory())
    : []

/** `src/index.ts` and every runtime adapter's (`src/adapter/<runtime>`, or the gateway's `adapter/`). */
function entryPoints(service: string) {
  const folder = `services/${service}/src/adapter`
  const adapters = directories(folder).map((runtime) => `${folder}/${runtime}/index.ts`)
  return [
    `services/${service}/src/index.ts`,
    ...adapters.filter((path) => existsSync(join(ROOT, path))),
  ]
}

/** Who owns a file for the rule: a service, or `shared` / a library folder, which anyone may load. */
const owner = (path: string) => serviceOf(path) ?? 'library'

/** The edges of `graph` into another service's own code, as `from → to`, that no rule allows. */
function leaks(graph: ReadonlyMap<string, readonly string[]>) {
  const found: string[] = []
  for (const [from, imports] of graph) {
    for (const to of imports) {
      const source = owner(from)
      const target = owner(to)
      // The public surface itself must stay light: a client that loads its server is no client.
      const crossing = isPublicSurface(from) ? !isPublicSurface(to) : source !== target
      if (!crossing || target === 'library' || target === 'shared') continue
      if (isPublicSurface(to)) continue
      if (ALLOWED.some((rule) => rule.from === source && rule.into.test(to))) continue
      found.push(`${from} → ${to}`)
    }
  }
  return found.sort()
}

describe.each(SERVICES)('the %s service', (service) => {
  const graph = importGraph(entryPoints(service))

  it("loads another service's code only through its client and contract types", () => {
    expect(leaks(graph), `paths into another service's server code`).toEqual([])
  })

  it('has no runtime import cycle', () => {
    const found = cycles(graph).map((cycle) => cycle.join(' → '))
    expect(found, `runtime import cycles:\n${found.join('\n')}`).toEqual([])
  })
})

describe('the registry client', () => {
  it('names the server only in erased `import type`s', () => {
    const imports = moduleImports('services/registry/src/types.ts')
    expect(imports).toContainEqual({
      path: 'services/registry/src/gate/index.ts',
      dynamic: false,
      typeOnly: true,
    })
    expect(imports.filter((edge) => !edge.typeOnly)).toEqual([])
  })

  it('loads nothing of the registry server', () => {
    const graph = importGraph([
      'services/registry/src/client/index.ts',
      'services/registry/src/types.ts',
    ])
    const loaded = [...graph.keys()].filter((path) => serviceOf(path) === 'registry')
    expect(loaded.filter((path) => !isPublicSurface(path))).toEqual([])
    expect(loaded).toContain('services/registry/src/client/materialize.ts')
  })
})

describe('the leak check', () => {
  it('reports a path into server code, and one from a client into its own server', () => {
    const graph = new Map([
      ['services/drift/src/a.ts', ['services/registry/src/store/index.ts']],
      ['services/inference/src/b.ts', ['services/registry/src/client/index.ts']],
      ['services/registry/src/client/index.ts', ['services/registry/src/artifacts/index.ts']],
    ])
    expect(leaks(graph)).toEqual([
      'services/drift/src/a.ts → services/registry/src/store/index.ts',
      'services/registry/src/client/index.ts → services/registry/src/artifacts/index.ts',
    ])
  })

  it('finds a cycle and shows its path', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ])
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']])
  })
})

const DOCKERFILES = SERVICES.flatMap((service) =>
  readdirSync(join(ROOT, 'services', service))
    .filter((name) => name.startsWith('Dockerfile'))
    .map((name) => `services/${service}/${name}`),
)

describe.each(DOCKERFILES)('%s', (dockerfile) => {
  const image = readDockerfile(dockerfile)
  // The ENTRYPOINT runs bin/infera.js, which no import reaches.
  const loaded = ['bin/infera.js', ...commandGraph(image.command).keys()]
  // A path that no longer exists counts as a folder nothing loads: the build would fail on it.
  const folders = image.copies.filter(
    (copy) => !existsSync(join(ROOT, copy)) || statSync(join(ROOT, copy)).isDirectory(),
  )
  const inside = (path: string, folder: string) => path.startsWith(`${folder}/`)

  it('copies every folder its command loads', () => {
    const missing = loaded.filter(
      (path) => !image.copies.some((copy) => copy === path || inside(path, copy)),
    )
    expect(missing, `files \`infera ${image.command}\` loads that no COPY brings`).toEqual([])
  })

  it('copies no folder its command does not load', () => {
    const unused = folders.filter((folder) => !loaded.some((path) => inside(path, folder)))
    expect(unused, `folders \`infera ${image.command}\` never loads`).toEqual([])
  })
})
