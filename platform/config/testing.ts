import { ConfigError, parseConfig } from './index.ts'

/** The problems parseConfig reports for a stack's raw config, one a line; throws if it accepts it. */
export function configProblems(raw: Record<string, string | undefined>): string[] {
  try {
    parseConfig(raw, 'test')
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
  }
  throw new Error('the config was accepted')
}
