// One private style (issue 16): a class keeps its own state and helpers in ECMAScript `#` members,
// which the runtime enforces, never behind TypeScript's `private`, which only the type checker
// sees. Biome has no rule for it (useConsistentMemberAccessibility's `none` would also forbid
// `protected` and private constructors), so this test reads every TypeScript file with
// TypeScript's own parser. Constructors are exempt: there is no `#constructor`, and a
// `private constructor` is how a class makes its callers use a static factory.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
/** The folders tsconfig.json type-checks. */
const FOLDERS = [
  'bin',
  'cli',
  'dashboards',
  'loadtests',
  'platform',
  'policies',
  'services',
  'testing',
  'training',
]

/** `line: member` for each class member or parameter property declared `private`. */
function privateKeywordMembers(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node) => {
    const isPrivate =
      ts.canHaveModifiers(node) &&
      ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)
    if (isPrivate && !ts.isConstructorDeclaration(node)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
      const name = (node as ts.NamedDeclaration).name?.getText(source) ?? '?'
      found.push(`${line + 1}: ${name}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function typeScriptFiles(): string[] {
  return FOLDERS.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.split(/[\\/]/).includes('node_modules'))
      .map((file) => relative(ROOT, join(ROOT, folder, file)).replaceAll('\\', '/')),
  )
}

describe('private members', () => {
  it('finds fields, methods, accessors and parameter properties declared private', () => {
    const sample = `class A {
  private a = 1
  private static b = 2
  private get c() { return 1 }
  private d(): void {}
  constructor(private readonly e: number) {}
}`
    expect(privateKeywordMembers('a.ts', sample)).toEqual(['2: a', '3: b', '4: c', '5: d', '6: e'])
  })

  it('leaves # members, private constructors and properties named private alone', () => {
    const sample = `class A {
  #a = 1
  private constructor(readonly b: number) {}
  static of(b: number) { return new A(b) }
  #c(): void {}
}
const plan = { private: ['10.0.0.0/18'] }
interface Plan { private: string[] }`
    expect(privateKeywordMembers('a.ts', sample)).toEqual([])
  })

  it('are # members everywhere, never TypeScript private', () => {
    const files = typeScriptFiles()
    expect(files).toContain('testing/private-members.test.ts')
    const offending = files.flatMap((path) =>
      privateKeywordMembers(path, readFileSync(join(ROOT, path), 'utf8')).map(
        (member) => `${path}:${member}`,
      ),
    )
    expect(offending).toEqual([])
  })
})
