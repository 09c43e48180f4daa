import type { ModelPage, ModelView, PageOptions } from '../types.ts'
import { MAX_PAGE } from './limits.ts'

/** Every model, page after page: `list()` in process and over HTTP alike. */
export async function everyModel(
  listPage: (page: PageOptions) => Promise<ModelPage>,
): Promise<ModelView[]> {
  const models: ModelView[] = []
  for (let after: string | null | undefined; after !== null; ) {
    const page = await listPage({ after, limit: MAX_PAGE })
    models.push(...page.models)
    after = page.next
  }
  return models
}
