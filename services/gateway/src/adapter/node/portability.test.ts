import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// src must run unmodified on Node, Deno and Cloudflare Workers; Node-only code lives in this
// folder (src/adapter/node) alone. Packages are allowed by name, so each new dependency of src is a
// deliberate choice.
const GATEWAY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const SRC = join(GATEWAY, 'src')
const NODE_ADAPTER = join(SRC, 'adapter', 'node')
// Pure JavaScript with no Node built-ins (yaml ships its own browser build; OpenTelemetry's API and
// names are what browser instrumentation uses, the SDK being in services/shared/tracing/node.ts).
const WEB_STANDARD_PACKAGES = [
  'hono',
  'jose',
  'yaml',
  'zod',
  '@opentelemetry/api',
  '@opentelemetry/semantic-conventions',
]
// Shared test suites (testing.ts) sit in src but only run under the test runner.
const TEST_SUPPORT_PACKAGES = [...WEB_STANDARD_PACKAGES, 'vitest']

const SPECIFIER = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*['"]([^'"]+)['"]/g

const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')

type ReadSource = (path: string) => Promise<string>

/**
 * Imports that tie the given files to Node: `node:` modules and packages not known to be
 * web-standard, keyed by the importing file (relative to services/gateway). Relative imports are
 * followed, also out of src, since what src pulls in ships with it. Tests (`*.test.ts`) are
 * skipped: they run on Node and may start real servers.
 */
async function nonPortableImports(
  entries: string[],
  read: ReadSource,
): Promise<Record<string, string[]>> {
  const offending: Record<string, string[]> = {}
  const seen = new Set<string>()
  const queue = entries.filter((path) => !path.endsWith('.test.ts'))
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    if (seen.has(path)) continue
    seen.add(path)
    const allowed = path.endsWith('/testing.ts') ? TEST_SUPPORT_PACKAGES : WEB_STANDARD_PACKAGES
    const bad: string[] = []
    for (const [, specifier = ''] of (await read(path)).matchAll(SPECIFIER)) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(path), specifier))
      else if (!allowed.includes(packageName(specifier))) bad.push(specifier)
    }
    if (bad.length > 0) offending[relative(GATEWAY, path)] = bad
  }
  return offending
}

describe('services/gateway/src portability', () => {
  it('imports nothing Node-only outside adapter/node, directly or through relative imports', async () => {
    const files = (await readdir(SRC, { recursive: true }))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(SRC, file))
      .filter((path) => !path.startsWith(`${NODE_ADAPTER}/`))
    expect(files).toContain(join(SRC, 'auth', 'index.ts'))
    expect(files).toContain(join(SRC, 'adapter', 'deno', 'index.ts'))
    expect(files).toContain(join(SRC, 'adapter', 'workers', 'index.ts'))
    expect(await nonPortableImports(files, (path) => readFile(path, 'utf8'))).toEqual({})
  })

  it('catches node: modules, unknown packages and Node-only files reached from src', async () => {
    const sources: Record<string, string> = {
      [join(SRC, 'a/index.ts')]: [
        "import { createHash } from 'node:crypto'",
        "import type { Context } from 'hono'",
        "import { getConnInfo } from '@hono/node-server/conninfo'",
        "import { z } from 'zod/v4'",
        "export { store } from '../adapter/node/store.ts'",
        "const fs = await import('fs')",
      ].join('\n'),
      [join(NODE_ADAPTER, 'store.ts')]: "const { createClient } = require('redis')",
      [join(SRC, 'a/index.test.ts')]: "import { createServer } from 'node:http'",
      [join(SRC, 'b/testing.ts')]: "import { it } from 'vitest'",
      [join(SRC, 'b/index.ts')]: "import { it } from 'vitest'\nimport './testing.ts'",
    }
    const read: ReadSource = async (path) => sources[path] ?? ''
    expect(await nonPortableImports(Object.keys(sources), read)).toEqual({
      'src/a/index.ts': ['node:crypto', '@hono/node-server/conninfo', 'fs'],
      'src/adapter/node/store.ts': ['redis'],
      'src/b/index.ts': ['vitest'],
    })
  })
})
