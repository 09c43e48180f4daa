// The repository's runtime import graph, read with TypeScript's own parser: what a process loads
// (and an image must ship), which service reaches into which, and the cycles among modules.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The repository's root; every path below is relative to it, with forward slashes. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface ModuleImport {
  /** The imported file, relative to the root. */
  path: string
  /** `import('…')`: loaded when the code runs, not when the importer loads. */
  dynamic: boolean
  /**
   * `import type`, `export type`: erased, never loaded. An import naming only types
   * (`import { type A }`) is not: under verbatimModuleSyntax it stays a bare `import {}`, which
   * loads the module.
   */
  typeOnly: boolean
}

const parsed = new Map<string, ModuleImport[]>()

/** The repository files `path` imports; packages (bare specifiers) are left out. */
export function moduleImports(path: string): ModuleImport[] {
  const cached = parsed.get(path)
  if (cached) return cached
  const source = ts.createSourceFile(
    path,
    readFileSync(resolve(ROOT, path), 'utf8'),
    ts.ScriptTarget.Latest,
  )
  const found: ModuleImport[] = []
  const add = (specifier: ts.Node | undefined, dynamic: boolean, typeOnly = false) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return
    if (!specifier.text.startsWith('.')) return
    const target = relative(ROOT, resolve(ROOT, dirname(path), specifier.text)).replaceAll(
      '\\',
      '/',
    )
    if (!existsSync(resolve(ROOT, target))) {
      throw new Error(`${path} imports ${specifier.text}, which does not exist`)
    }
    found.push({ path: target, dynamic, typeOnly })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, false, node.importClause?.isTypeOnly)
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, false, node.isTypeOnly)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], true)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  parsed.set(path, found)
  return found
}

/**
 * Every file reachable from `entries`, each with the files it imports: at run time (dynamic
 * imports included unless `dynamic: false`), or with `types: true` for the type checker too.
 */
export function importGraph(
  entries: readonly string[],
  { dynamic = true, types = false }: { dynamic?: boolean; types?: boolean } = {},
): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const pending = [...entries]
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (graph.has(path)) continue
    const next = moduleImports(path)
      .filter((edge) => (dynamic || !edge.dynamic) && (types || !edge.typeOnly))
      .map((edge) => edge.path)
    graph.set(path, next)
    pending.push(...next)
  }
  return graph
}

/**
 * The graph's cycles, one per strongly connected component (Tarjan's algorithm): the shortest
 * loop through the component's first file, as `a → b → a`, so a failure shows the path to cut.
 */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const lowest = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  const connect = (file: string) => {
    index.set(file, index.size)
    lowest.set(file, index.size - 1)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next)
        lowest.set(file, Math.min(lowest.get(file) ?? 0, lowest.get(next) ?? 0))
      } else if (onStack.has(next)) {
        lowest.set(file, Math.min(lowest.get(file) ?? 0, index.get(next) ?? 0))
      }
    }
    if (lowest.get(file) !== index.get(file)) return
    const component: string[] = []
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member)
      component.push(member)
      if (member === file) break
    }
    const loops = (graph.get(file) ?? []).includes(file)
    if (component.length > 1 || loops) components.push(component)
  }
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file)
  return components.map((component) => shortestLoop(graph, new Set(component)))
}

/** Breadth-first from the component's first file (by name) back to itself, within the component. */
function shortestLoop(graph: ReadonlyMap<string, readonly string[]>, component: Set<string>) {
  const [start = ''] = [...component].sort()
  const previous = new Map<string, string>()
  const queue = [start]
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    for (const next of graph.get(at) ?? []) {
      if (!component.has(next)) continue
      if (next === start) {
        const path = [start]
        for (let step: string | undefined = at; step && step !== start; step = previous.get(step)) {
          path.splice(1, 0, step)
        }
        return [...path, start]
      }
      if (!previous.has(next)) {
        previous.set(next, at)
        queue.push(next)
      }
    }
  }
  return [start, start]
}

/** Which service a file belongs to (`services/<name>/…`), if any. */
export const serviceOf = (path: string) => /^services\/([^/]+)\//.exec(path)?.[1]

/**
 * The part of a service others may load: its client and the contract types. Anything else is the
 * service's own code, whose dependencies (drivers, native addons) its callers would carry.
 */
export const isPublicSurface = (path: string) =>
  /^services\/[^/]+\/src\/(client\/.*|types)\.ts$/.test(path)

export interface DockerImage {
  /** Repository paths the image copies from the build context (folders or files). */
  copies: string[]
  /** The `infera` command the image runs: `node bin/infera.js <command>`. */
  command: string
}

/** The COPY sources from the build context (not from other stages) and the entry command. */
export function readDockerfile(path: string): DockerImage {
  const text = readFileSync(resolve(ROOT, path), 'utf8')
  const copies: string[] = []
  let command = ''
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/)
    if (words[0] === 'COPY' && !words.some((word) => word.startsWith('--from='))) {
      copies.push(...words.slice(1, -1).filter((word) => !word.startsWith('--')))
    }
    if (words[0] === 'ENTRYPOINT') {
      const argv = JSON.parse(line.trim().slice('ENTRYPOINT'.length)) as string[]
      command = argv[argv.indexOf('bin/infera.js') + 1] ?? ''
    }
  }
  return { copies: copies.map((copy) => copy.replace(/^\.\/|\/$/g, '')), command }
}

/**
 * What an image running `infera <command>` loads: the CLI's entry, which loads only the command
 * it is asked for, and everything that command loads, on demand too.
 */
export function commandGraph(command: string): Map<string, string[]> {
  const cli = importGraph(['cli/index.ts'], { dynamic: false })
  // A command is a file, or a folder when it has grown parts of its own.
  const file = `cli/commands/${command}.ts`
  const entry = existsSync(resolve(ROOT, file)) ? file : `cli/commands/${command}/index.ts`
  for (const [path, next] of importGraph([entry])) cli.set(path, next)
  return cli
}
