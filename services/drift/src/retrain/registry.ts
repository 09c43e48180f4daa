import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { DEFAULT_MARGIN, evaluateGate, GateInputError } from '../../../registry/src/gate/index.ts'
import {
  type GateReport,
  type Lineage,
  type ModelRegistry,
  RegistryError,
  type VersionFiles,
} from '../../../registry/src/types.ts'
import { isMissing, registryVersion } from '../references/index.ts'
import { errorMessage, type TrainingJob, type TrainingRequest } from './trainer.ts'
import {
  type ModelVersions,
  type RetrainedVersion,
  RetrainInputError,
  type VersionInputs,
} from './versions.ts'

/** Taking a retrained candidate towards production: through the gate into a canary. */
export interface PromotionOptions {
  /** The canary's share of the model's traffic, in percent, once the gate passes. */
  canaryWeight: number
  /** How much worse than production the candidate may score; the registry's default if unset. */
  margin?: number
}

/** Whether the gate let a registered candidate into the canary; skipped when it didn't judge. */
export type CandidateGate = 'passed' | 'refused' | 'skipped'

/** What a job that registered a candidate says of it, besides what every local job says. */
export type CandidateDetails = {
  version: string
  stage: 'candidate'
  gate: CandidateGate
  /** The gate's own words, when it judged. */
  gate_summary?: string
  /** The check on production's own training data, before the gate on the captured rows. */
  reference_gate_summary?: string
  /** Whether the candidate went into the canary. */
  promoted: boolean
  canary_weight?: number
  /** Why the candidate is not in the canary. */
  not_promoted?: string
}

/** Who the registry's audit log names for retraining's changes. */
export const RETRAIN_ACTOR = 'drift-retrain'

/** A retrained version to register as a candidate, whichever trainer made it. */
export interface Candidate {
  request: TrainingRequest
  files: VersionFiles
  /** The serving version's config.json: the candidate reads the same features. */
  config: Record<string, unknown>
  metrics: Record<string, unknown> | null
  lineage: Lineage
  /** The rows the gate scores it on; without them it stays a candidate. */
  holdoutCsv?: string
}

/**
 * Versions in the model registry: the retrained version's config.json and reference.csv are read
 * from it, and the new version is registered as a candidate with its lineage. With `promotion`,
 * the candidate must then pass two gates to go into the canary: one on production's own training
 * data (its reference.csv in the registry, which only a registry:write holder can write), then the
 * registry's on the held-out captured rows. Captured rows and their labels come from outside: a
 * holdout drawn only from them would pass a model trained on the same poisoned labels. A refusal
 * by either leaves it a candidate.
 */
export class RegistryVersions implements ModelVersions {
  constructor(
    readonly registry: ModelRegistry,
    readonly promotion?: PromotionOptions,
  ) {
    const weight = promotion?.canaryWeight
    // Refused now rather than after every retraining: the registry would refuse each canary.
    if (weight !== undefined && !(weight > 0 && weight < 100)) {
      throw new RangeError(`the canary weight is a percentage above 0 and below 100, not ${weight}`)
    }
  }

  async read(model: string, version: string): Promise<VersionInputs> {
    try {
      return await registryVersion(this.registry, model, version)
    } catch (error) {
      if (isMissing(error)) throw new RetrainInputError(errorMessage(error))
      throw error
    }
  }

  async publish(retrained: RetrainedVersion): Promise<CandidateDetails> {
    return this.registerCandidate({
      request: retrained.request,
      files: {
        'model.onnx': retrained.onnx,
        'reference.csv': new TextEncoder().encode(retrained.referenceCsv),
      },
      config: retrained.config,
      metrics: { ...retrained.metrics },
      lineage: {
        data_location: pathToFileURL(retrained.capturesDir).href,
        code_version: await codeVersion(),
        training_job: retrained.jobId,
      },
      holdoutCsv: retrained.holdoutCsv,
    })
  }

  /**
   * Registers the candidate and, with `promotion` and holdout rows, puts it through the gate; the
   * SageMaker trainer registers its jobs' models here too.
   */
  async registerCandidate(candidate: Candidate): Promise<CandidateDetails> {
    const { request } = candidate
    const change = { actor: RETRAIN_ACTOR, reason: request.reason }
    const { version } = await this.registry.register({
      name: request.model,
      stage: 'candidate',
      files: candidate.files,
      config: candidate.config,
      metrics: candidate.metrics,
      lineage: candidate.lineage,
      ...change,
    })
    return {
      version: String(version),
      stage: 'candidate',
      ...(await this.#promote(version, candidate, change)),
    }
  }

  async #promote(
    version: number,
    candidate: Candidate,
    change: { actor: string; reason: string },
  ): Promise<Omit<CandidateDetails, 'version' | 'stage'>> {
    const model = candidate.request.model
    const { holdoutCsv } = candidate
    if (!this.promotion) {
      return { gate: 'skipped', promoted: false, not_promoted: 'no promotion configured' }
    }
    if (holdoutCsv === undefined) {
      return {
        gate: 'skipped',
        promoted: false,
        not_promoted: 'no holdout.csv to score it on: the gate needs one beside production',
      }
    }
    const { canaryWeight, margin } = this.promotion
    const trusted = await this.#referenceGate(version, candidate, margin ?? DEFAULT_MARGIN)
    if (!trusted.passed) return trusted.refusal
    const reference_gate_summary = trusted.summary
    try {
      const { gate } = await this.registry.promote(model, version, {
        to: 'production',
        holdoutCsv,
        canary: { weight: canaryWeight },
        ...(margin === undefined ? {} : { margin }),
        ...change,
      })
      return {
        gate: 'passed',
        ...(gate && { gate_summary: gate.summary }),
        reference_gate_summary,
        promoted: true,
        canary_weight: canaryWeight,
      }
    } catch (error) {
      // The candidate is registered whatever happens here: the job says why it went no further.
      const report = refusal(error)
      return {
        gate: report ? 'refused' : 'skipped',
        ...(report && { gate_summary: report.summary }),
        reference_gate_summary,
        promoted: false,
        not_promoted: errorMessage(error),
      }
    }
  }

  /**
   * The candidate and production scored on production's reference.csv, with the promotion's
   * margin. Without a production version there is nothing to compare (the registry's gate says
   * so); without its reference.csv, or with one the gate can't score, there is no promotion.
   */
  async #referenceGate(
    version: number,
    candidate: Candidate,
    margin: number,
  ): Promise<
    | { passed: true; summary?: string }
    | { passed: false; refusal: Omit<CandidateDetails, 'version' | 'stage'> }
  > {
    const model = candidate.request.model
    const production = (await this.registry.show(model)).aliases.production?.version
    if (production === undefined) return { passed: true }
    const skipped = (why: string) => ({
      passed: false as const,
      refusal: { gate: 'skipped' as const, promoted: false, not_promoted: why },
    })
    let referenceCsv: string
    try {
      referenceCsv = new TextDecoder().decode(
        await this.registry.file(model, production, 'reference.csv'),
      )
    } catch (error) {
      if (!isMissing(error)) throw error
      return skipped(
        `production version ${production} has no reference.csv: the gate needs the registry's ` +
          'own data beside the captured rows',
      )
    }
    const [detail, onnx] = await Promise.all([
      this.registry.version(model, production),
      this.registry.file(model, production, 'model.onnx'),
    ])
    let report: GateReport
    try {
      report = await evaluateGate({
        model,
        candidate: {
          version,
          config: candidate.config,
          metrics: candidate.metrics,
          onnx: candidate.files['model.onnx'],
        },
        production: { version: production, config: detail.config, metrics: detail.metrics, onnx },
        holdoutCsv: referenceCsv,
        margin,
        actor: RETRAIN_ACTOR,
      })
    } catch (error) {
      if (!(error instanceof GateInputError)) throw error
      return skipped(`production's reference.csv can't be scored: ${error.message}`)
    }
    if (report.passed) return { passed: true, summary: report.summary }
    return {
      passed: false,
      refusal: {
        gate: 'refused',
        reference_gate_summary: report.summary,
        promoted: false,
        not_promoted: `the gate on production's training data refused: ${report.summary}`,
      },
    }
  }
}

/** The gate's report when the registry refused a promotion on it. */
function refusal(error: unknown): GateReport | undefined {
  if (!(error instanceof RegistryError) || error.status !== 409) return undefined
  return error.details.gate as GateReport | undefined
}

/** The gate outcome of a job that registered a candidate; undefined for any other job. */
export function candidateGate(job: TrainingJob): CandidateGate | undefined {
  if (job.status !== 'completed' || job.details.stage !== 'candidate') return undefined
  return (job.details as unknown as CandidateDetails).gate
}

const run = promisify(execFile)
const ROOT = new URL('../../../../', import.meta.url)
let cachedCodeVersion: Promise<string> | undefined

/** The package's version, and the git commit when running from a checkout: `0.1.0+deba2e7`. */
function codeVersion() {
  cachedCodeVersion ??= (async () => {
    const { version } = JSON.parse(await readFile(new URL('package.json', ROOT), 'utf8'))
    const commit = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).then(
      ({ stdout }) => stdout.trim(),
      () => '',
    )
    return commit ? `${version}+${commit}` : String(version)
  })()
  return cachedCodeVersion
}
