import { once } from 'node:events'
import { appendFile, mkdir } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { SageMakerClient } from '@aws-sdk/client-sagemaker'
import { loadPenguins, type Penguin } from '../../../../training/datasets/index.ts'
import { ort } from '../../../../training/onnx/testing.ts'
import { holdoutSplit } from '../../../../training/train/index.ts'
import type { DriftEvaluation } from '../evaluation/index.ts'
import { SageMakerTrainer, type SageMakerTrainerOptions } from './sagemaker.ts'

const MINUTE = 60_000
const EPOCH = Date.parse('2026-03-01T00:00:00.000Z')

/**
 * The evaluation of window `index` of a model version: windows are ten minutes long, evaluated
 * when they end; a drifted one has its `bill_length_mm` drifted.
 */
export function evaluation(
  model: string,
  version: string,
  index: number,
  drifted: boolean,
): DriftEvaluation {
  const start = new Date(EPOCH + index * 10 * MINUTE).toISOString()
  const end = new Date(EPOCH + (index + 1) * 10 * MINUTE).toISOString()
  const feature = (name: string, isDrifted: boolean) => ({
    [name]: {
      type: 'numerical' as const,
      method: 'ks' as const,
      statistic: isDrifted ? 0.4 : 0.05,
      p_value: isDrifted ? 0.001 : 0.6,
      threshold: 0.05,
      drifted: isDrifted,
    },
  })
  return {
    model,
    version,
    evaluated_at: end,
    window: { id: `${model}:${version}:${start}:${end}`, kind: 'time', start, end, rows: 200 },
    reference_rows: 266,
    drift: {
      drift_share: 0.5,
      dataset_drift: drifted,
      share_drifted: drifted ? 0.5 : 0,
      drifted_columns: drifted ? 1 : 0,
      number_of_columns: 2,
      features: { ...feature('bill_length_mm', drifted), ...feature('body_mass_g', false) },
      warnings: [],
    },
    quality: { rows: 200, features: {}, missing_features: [], unknown_features: [] },
    distributions: {},
  }
}

export interface SageMakerCall {
  /** The operation, from X-Amz-Target: `SageMaker.<operation>`. */
  target: string
  // biome-ignore lint/suspicious/noExplicitAny: the request bodies are read as arbitrary JSON
  body: any
}

export type SageMakerReply = { status?: number; error?: string; body: object }

/**
 * A local HTTP endpoint that answers SageMaker's JSON protocol as `reply` says, and the real SDK
 * client pointed at it.
 */
export async function fakeSageMaker(reply: (call: SageMakerCall) => SageMakerReply) {
  const calls: SageMakerCall[] = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const call = {
      target: String(req.headers['x-amz-target']),
      body: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
    }
    calls.push(call)
    const { status = 200, error, body } = reply(call)
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      ...(error && { 'x-amzn-errortype': error }),
    })
    res.end(JSON.stringify(error ? { __type: error, ...body } : body))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const client = new SageMakerClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  })
  return {
    client,
    calls,
    close: async () => {
      client.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

export const TRAINING_ROLE = 'arn:aws:iam::123456789012:role/infera-training'
export const TRAINING_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/infera-train:7'
export const trainingJobArn = (name: string) =>
  `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}`

/**
 * A SageMakerTrainer whose SageMaker answers as `reply` says; `track` is handed the endpoint, to
 * close after the test.
 */
export async function trainerOnFakeSageMaker(
  reply: (call: SageMakerCall) => SageMakerReply,
  options: Partial<SageMakerTrainerOptions> &
    Pick<SageMakerTrainerOptions, 'captureS3Uri' | 'outputS3Uri'>,
  track: (server: { close(): Promise<void> }) => void,
) {
  const sagemaker = await fakeSageMaker(reply)
  track(sagemaker)
  const trainer = new SageMakerTrainer({
    client: sagemaker.client,
    region: 'us-east-1',
    roleArn: TRAINING_ROLE,
    image: TRAINING_IMAGE,
    ...options,
  })
  return { trainer, calls: sagemaker.calls }
}

/**
 * Penguins as a client that started sending body mass in kilograms sends them: a drift the demo
 * model gets wrong and a retrained one can learn. Half are captured, the other half are unseen.
 */
export async function kilogramPenguins() {
  const penguins = (await loadPenguins()).map((p) => ({ ...p, body_mass_g: p.body_mass_g / 1000 }))
  const { train, holdout } = holdoutSplit(penguins, 0.5, 7)
  return { captured: train, unseen: holdout }
}

/** The species a penguins model file predicts, given its config.json's labels. */
export async function predictSpecies(path: string, labels: string[], penguins: Penguin[]) {
  const session = await ort.InferenceSession.create(path)
  try {
    const { probabilities } = await session.run({
      numerical: new ort.Tensor(
        'float32',
        penguins.flatMap((p) => [
          p.bill_length_mm,
          p.bill_depth_mm,
          p.flipper_length_mm,
          p.body_mass_g,
        ]),
        [penguins.length, 4],
      ),
      categorical: new ort.Tensor(
        'string',
        penguins.flatMap((p) => [p.island, p.sex]),
        [penguins.length, 2],
      ),
    })
    const scores = probabilities?.data as Float32Array
    return penguins.map((_, r) => {
      const row = Array.from(scores.subarray(r * labels.length, (r + 1) * labels.length))
      return labels[row.indexOf(Math.max(...row))] as string
    })
  } finally {
    await session.release()
  }
}

export const accuracy = (predicted: string[], penguins: Penguin[]) =>
  predicted.filter((species, i) => species === penguins[i]?.species).length / penguins.length

/**
 * Appends captured predictions of `penguins/<version>` as the model server writes them, one day
 * file per 100 rows; the first `labelled` rows carry their ground truth.
 */
export async function writePenguinCaptures(
  captureDir: string,
  version: string,
  penguins: Penguin[],
  predictions: string[],
  labelled: number,
) {
  const dir = join(captureDir, 'penguins', version)
  await mkdir(dir, { recursive: true })
  for (const [i, { species, ...features }] of penguins.entries()) {
    const ts = new Date(EPOCH + Math.floor(i / 100) * 24 * 60 * MINUTE + i * 1000).toISOString()
    const row = {
      ts,
      request_id: `req-${i}`,
      model: 'penguins',
      version,
      features,
      outputs: {},
      prediction: predictions[i],
      ...(i < labelled && { label: species }),
    }
    await appendFile(join(dir, `${ts.slice(0, 10)}.jsonl`), `${JSON.stringify(row)}\n`)
  }
}
