/**
 * The registry's contract: its operations and the shapes they return, the same in process and over
 * HTTP. Other services import this file and `client/` only: the `import type`s below are erased, so
 * loading it loads none of the server (the store's drivers, the gate's onnxruntime).
 */
import type { GateReport } from './gate/index.ts'
import type {
  AliasName,
  AuditEntry,
  Lineage,
  Stage,
  StoredGateReport,
  StoredVersion,
} from './store/index.ts'

export type { GateReport } from './gate/index.ts'
export type { AliasName, AuditEntry, FileRef, Lineage, Stage } from './store/index.ts'

/** Who makes a change: every change is audited with it. */
export const ACTOR_HEADER = 'x-infera-actor'
/** The digest the registry recorded for a downloaded file, to check the bytes against. */
export const SHA256_HEADER = 'x-infera-sha256'

/** An artifact that is missing, or whose bytes are not the ones recorded. */
export class ArtifactError extends Error {}

/** A refusal with the HTTP status it stands for and what the caller needs to know. */
export class RegistryError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 500,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'RegistryError'
  }
}

/** Who changes what, and why: every change is audited with both. */
export interface Change {
  actor: string
  reason?: string
}

/** The files a version is registered with; only model.onnx is required. */
export interface VersionFiles {
  'model.onnx': Uint8Array
  /** The training data (or a sample of it): drift compares live traffic with it. */
  'reference.csv'?: Uint8Array
}

export interface RegisterInput extends Change {
  name: string
  /** The next free number when undefined. */
  version?: number
  stage?: Extract<Stage, 'candidate' | 'staging'>
  files: VersionFiles
  /** config.json: the inference service's schema; `task` and `target` let the gate score it. */
  config: Record<string, unknown>
  metrics?: Record<string, unknown> | null
  lineage?: Partial<Lineage>
}

export type PromotionTarget = 'production' | 'staging'

export interface PromoteOptions extends Change {
  to: PromotionTarget
  /** CSV with the features and the target; the gate scores candidate and production on it. */
  holdoutCsv?: string
  /** Relative: 0.01 lets the candidate be up to 1% worse than production on each metric. */
  margin?: number
  /** Promotes without the gate's approval; needs a reason. */
  force?: boolean
  /**
   * Promotes only while the version holds the canary alias (409 otherwise): a verdict on a canary
   * must not promote it after it was replaced or removed.
   */
  onlyIfCanary?: boolean
  /**
   * Only with `to: 'production'`: once the gate passes, the version takes the canary alias at this
   * share of traffic (a percentage above 0 and below 100) and production stays where it is.
   */
  canary?: { weight: number }
}

export interface AliasRemoval extends Change {
  /**
   * Removes the alias only while this version holds it: a decision taken on one canary must not
   * remove the one set after it (409 otherwise).
   */
  version?: number
}

export interface AliasOptions extends Change {
  /** Percent of the model's traffic. */
  weight: number
}

export interface VersionView extends Omit<StoredVersion, 'stage'> {
  /** The stage set, or `production` while the version holds the production alias. */
  stage: Stage | 'production'
  aliases: AliasName[]
}

export interface VersionDetail extends VersionView {
  /** Every gate evaluation of the version, oldest first. */
  gate_reports: StoredGateReport[]
}

export interface AliasView {
  version: number
  /** The canary's share of traffic in percent; null for production. */
  weight: number | null
  /** What held the alias before: production's rollback target. */
  previous_version: number | null
  updated_at: string
}

export interface ModelView {
  name: string
  aliases: Partial<Record<AliasName, AliasView>>
  /**
   * The newest versions (up to MAX_LISTED_VERSIONS), and every version an alias names or would roll
   * back to, by number.
   */
  versions: VersionView[]
  /** How many versions the model has, listed or not. */
  versions_total: number
  /** The newest transitions (up to MAX_LISTED_AUDIT), oldest first; `audit()` pages through all. */
  audit: AuditEntry[]
  /** How many audit entries the model has. */
  audit_total: number
}

/** A page of the models, by name; `next` is the `after` of the following page, if there is one. */
export interface ModelPage {
  models: ModelView[]
  next: string | null
}

export interface PageOptions {
  /** The name after which the page starts. */
  after?: string
  /** At most MAX_PAGE. */
  limit?: number
}

/** A page of a model's audit trail, oldest first; `next` is the `before` of the page older than it. */
export interface AuditPage {
  audit: AuditEntry[]
  total: number
  next: number | null
}

export interface AuditPageOptions {
  /** Entries with an id below this one. */
  before?: number
  /** At most MAX_PAGE. */
  limit?: number
}

/** What a change did: the audit entries it wrote, and the gate's report for a production promotion. */
export interface TransitionResult {
  model: string
  audit: AuditEntry[]
  gate: GateReport | null
}

export interface ValueChange {
  /** Dotted path into the JSON: `holdout.accuracy`. */
  path: string
  from: unknown
  to: unknown
  /** to − from, when both are numbers. */
  delta?: number
}

export interface VersionDiff {
  model: string
  from: number
  to: number
  stage: { from: VersionView['stage']; to: VersionView['stage'] }
  /** Every file of either version, and whether its content differs. */
  files: Record<string, { from: string | null; to: string | null; changed: boolean }>
  /** Only what differs. */
  config: ValueChange[]
  metrics: ValueChange[]
  lineage: ValueChange[]
}

/** The registry's operations, in process (Registry) or over HTTP (RegistryClient). */
export interface ModelRegistry {
  register(input: RegisterInput): Promise<VersionDetail>
  /** Every model with its aliases, newest versions and audit entries (the client pages through). */
  list(): Promise<ModelView[]>
  /** One page of the models, by name. */
  listPage(page?: PageOptions): Promise<ModelPage>
  show(name: string): Promise<ModelView>
  /** A model's audit trail, a page at a time from the newest. */
  audit(name: string, page?: AuditPageOptions): Promise<AuditPage>
  version(name: string, version: number): Promise<VersionDetail>
  /**
   * To staging; or to production through the gate, moving the alias and keeping the holder before
   * (or, with `canary`, giving the version the canary alias instead).
   */
  promote(name: string, version: number, options: PromoteOptions): Promise<TransitionResult>
  /** Gives production back to the version that held it before the last promotion. */
  rollback(name: string, change: Change): Promise<TransitionResult>
  archive(name: string, version: number, change: Change): Promise<TransitionResult>
  setAlias(
    name: string,
    alias: 'canary',
    version: number,
    options: AliasOptions,
  ): Promise<TransitionResult>
  removeAlias(name: string, alias: 'canary', change: AliasRemoval): Promise<TransitionResult>
  diff(name: string, from: number, to: number): Promise<VersionDiff>
  /** A stored file of a version (model.onnx, reference.csv), verified against its digest. */
  file(name: string, version: number, file: string): Promise<Uint8Array>
  close(): Promise<void>
}
