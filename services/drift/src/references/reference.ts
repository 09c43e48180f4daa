import type { Table } from '../detect/index.ts'
import { PREDICTION } from '../ingest/index.ts'
import { buildProfile, type ReferenceProfile } from '../profile/index.ts'

export interface Reference {
  model: string
  version: string
  profile: ReferenceProfile
  task?: 'classification' | 'regression'
}

export interface ReferenceSource {
  /** The reference of a model version, or of its newest version; undefined when there is none. */
  load(model: string, version?: string): Promise<Reference | undefined>
  /** The models the source serves, with or without a reference: those drift should watch. */
  served?(): Promise<string[]>
}

/** What a reference needs of a model's `config.json`. */
export interface ReferenceConfig {
  task?: 'classification' | 'regression'
  target?: string
  features?: Record<string, string[]>
  /** Inputs captured whole as vectors: their reference.csv columns hold JSON arrays. */
  embeddings?: string[]
}

/** Version numbers as the model repository and the registry name them: 1, 2, … */
export const VERSION_NUMBER = /^[1-9][0-9]*$/

/** The profile of a version's training rows: the columns it monitors (see monitoredColumns). */
export const referenceProfile = (table: Table, config: ReferenceConfig | undefined) =>
  buildProfile(monitoredColumns(table, config))

export const toReference = (
  model: string,
  version: string,
  profile: ReferenceProfile,
  config: ReferenceConfig | undefined,
): Reference => ({ model, version, profile, ...(config?.task ? { task: config.task } : {}) })

/** The features the model reads, and its target under the name `prediction`. */
function monitoredColumns(table: Table, config: ReferenceConfig | undefined): Table {
  const features = Object.values(config?.features ?? {}).flat()
  if (features.length > 0) features.push(...(config?.embeddings ?? []))
  const columns: Record<string, Table[string]> = {}
  for (const name of features.length ? features : Object.keys(table)) {
    if (name !== config?.target && table[name]) columns[name] = table[name]
  }
  const target = config?.target ? table[config.target] : undefined
  if (target) columns[PREDICTION] = target
  return columns
}
