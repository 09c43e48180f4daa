import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

/** The workflow whose build job pushes every image before `pulumi up`. */
export const PLATFORM_WORKFLOW = join(
  import.meta.dirname,
  '..',
  '..',
  '.github',
  'workflows',
  'platform.yml',
)

interface Step {
  run?: string
  env?: Record<string, string>
}
interface Job {
  steps?: Step[]
  strategy?: { matrix?: { include?: Record<string, unknown>[] } }
}

const BUILD = /\bdocker (buildx )?build\b/

/**
 * The ECR repositories the workflow's build steps push to: each step that runs `docker build`
 * names its repository in `env.REPOSITORY`, per entry of its job's matrix (`${{ matrix.x }}`
 * filled in). Throws when no build step names one: the images policy would then allow nothing.
 */
export function ciBuiltRepositories(workflow = PLATFORM_WORKFLOW): string[] {
  const { jobs } = parse(readFileSync(workflow, 'utf8')) as { jobs: Record<string, Job> }
  const repositories = new Set<string>()
  for (const job of Object.values(jobs))
    for (const step of job.steps ?? []) {
      const repository = step.env?.REPOSITORY
      if (!BUILD.test(step.run ?? '') || !repository) continue
      for (const entry of job.strategy?.matrix?.include ?? [{}])
        repositories.add(
          repository.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, key) => String(entry[key])),
        )
    }
  if (repositories.size === 0)
    throw new Error(`${workflow}: no step runs docker build with env.REPOSITORY`)
  return [...repositories]
}
