import { Hono, type MiddlewareHandler } from 'hono'
import {
  type Credential,
  type CredentialEnv,
  CredentialVerifier,
  requireScope,
} from '../../../shared/credentials/index.ts'
import type { ModelRepository } from './index.ts'

/** Triton's model control modes that apply here: polling is a separate option. */
export const MODEL_CONTROL_MODES = ['none', 'explicit'] as const
export type ModelControl = (typeof MODEL_CONTROL_MODES)[number]

export interface RepositoryApiOptions {
  /**
   * `explicit` lets the repository API load and unload models; `none` (the default, as Triton's)
   * refuses it, so nothing reaching the port can change what is served.
   */
  modelControl?: ModelControl
  /** Who may load and unload, with `explicit`: bearer tokens with scope inference:model-control. */
  credentials?: readonly Credential[]
}

/** Triton's repository extension: the index for anyone, load and unload under model control. */
export function repositoryRoutes(
  repository: ModelRepository,
  { modelControl = 'none', credentials = [] }: RepositoryApiOptions = {},
) {
  const app = new Hono<CredentialEnv>()
  app.post('/v2/repository/index', (c) => c.json(repository.index()))

  const control: MiddlewareHandler<CredentialEnv> =
    modelControl === 'explicit'
      ? requireScope(new CredentialVerifier(credentials), 'inference:model-control')
      : async (c) =>
          c.json(
            {
              error:
                'model control is disabled: start the server with --model-control explicit ' +
                '(and a credential with scope inference:model-control) to load or unload models',
            },
            403,
          )
  app.post('/v2/repository/models/:name/load', control, async (c) => {
    await repository.load(c.req.param('name'))
    return c.json({})
  })
  app.post('/v2/repository/models/:name/unload', control, async (c) => {
    await repository.unload(c.req.param('name'))
    return c.json({})
  })
  return app
}
