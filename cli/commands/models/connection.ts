// How `infera models` finds the registry it talks to, and how it words the registry's refusals.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import {
  ArtifactError,
  type ModelRegistry,
  openRegistry,
  RegistryClient,
  RegistryError,
} from '../../../services/registry/src/index.ts'
import { DirectoryInUseError } from '../../../services/shared/database/index.ts'
import { InputError, type OptionValues } from '../../args.ts'
import { embeddedRegistryOptions, inferaHome, localToken, runningPlatform } from '../../home.ts'

/** The registry's refusals name the problem: the message alone, exit code 1. */
export async function refusalsAsInput(work: () => Promise<void>) {
  try {
    await work()
  } catch (error) {
    if (
      error instanceof RegistryError ||
      error instanceof ArtifactError ||
      error instanceof DirectoryInUseError
    ) {
      throw new InputError(`${error.message}${hintFor(error)}`)
    }
    throw error
  }
}

function hintFor(error: Error) {
  if (error instanceof DirectoryInUseError)
    return '\n(while a registry service runs, go through it: --registry URL or INFERA_REGISTRY_URL)'
  if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
    return `\n(the registry service takes changes only with a token of scope registry:write: set ${TOKEN_ENV})`
  }
  return ''
}

/** The token `infera models` sends to a registry service for changes. */
const TOKEN_ENV = 'INFERA_REGISTRY_TOKEN'

/** How every client action finds its registry. */
export const CONNECTION = {
  registry: {
    type: 'string',
    value: 'URL',
    env: 'INFERA_REGISTRY_URL',
    description: `a registry service (changes need ${TOKEN_ENV}, scope registry:write); default: the platform npm start runs under $INFERA_HOME`,
  },
  embedded: {
    type: 'boolean',
    description:
      'the registry under $INFERA_HOME/registry in this process, created if missing, when no platform runs (DATABASE_URL and INFERA_ARTIFACTS_S3 move it)',
  },
  json: { type: 'boolean', description: 'prints the answer as JSON' },
} as const

/** `~/.infera` rather than the whole path, as a person would write it. */
const home = () => {
  const path = inferaHome()
  return path.startsWith(`${homedir()}/`) ? `~${path.slice(homedir().length)}` : path
}

/**
 * The registry an action talks to, said on stderr: --registry (or INFERA_REGISTRY_URL); the
 * database DATABASE_URL names, in process; the platform `npm start` runs under INFERA_HOME; the
 * embedded registry it left there when stopped; with --embedded, a new one. Never a new, empty
 * registry by accident.
 */
async function openRegistryFor(values: OptionValues<typeof CONNECTION>): Promise<ModelRegistry> {
  const say = (line: string) => process.stderr.write(`registry ${line}\n`)
  if (values.registry) {
    say(`${values.registry}`)
    return new RegistryClient(values.registry, { token: process.env[TOKEN_ENV] || undefined })
  }
  const options = embeddedRegistryOptions()
  if (options.databaseUrl) {
    say('in this process, on DATABASE_URL')
    return openRegistry(options)
  }
  const platform = runningPlatform()
  if (platform && !values.embedded) {
    say(`${platform.urls.registry} (the platform started by npm start, pid ${platform.pid})`)
    // The local platform's own service: its operator token, unless the variable names another.
    return new RegistryClient(platform.urls.registry, { token: localToken(TOKEN_ENV) })
  }
  if (values.embedded || (options.dataDir && existsSync(options.dataDir))) {
    say(`embedded in ${home()}/registry, in this process (no platform running)`)
    return openRegistry(options)
  }
  throw new InputError(
    `no running platform under ${home()}: start one with npm start, or pass --registry URL / set DATABASE_URL (--embedded creates a registry under ${home()}/registry)`,
  )
}

export async function withRegistry<T>(
  values: OptionValues<typeof CONNECTION>,
  work: (registry: ModelRegistry) => Promise<T>,
): Promise<T> {
  const registry = await openRegistryFor(values)
  try {
    return await work(registry)
  } finally {
    await registry.close()
  }
}
