import { loadCars, loadPenguins, loadSeattleWeather } from '../datasets/index.ts'
import { holdoutSplit, type InputSpec, type Row, type TrainOptions } from '../train/index.ts'

export const DEMO_MODELS = ['penguins', 'mpg', 'weather'] as const
export type DemoModelName = (typeof DEMO_MODELS)[number]

/** What a demo model learns from which data, and how. */
export interface DemoSpec {
  task: 'classification' | 'regression'
  target: string
  /** The model's input tensors, in order. */
  inputs: InputSpec[]
  /** The output tensor: class probabilities, or the predicted target. */
  output: string
  load(): Promise<{ train: Row[]; holdout: Row[] }>
  training: TrainOptions
}

const SEED = 42
const HOLDOUT_FRACTION = 0.2

export const DEMO_SPECS: Record<DemoModelName, DemoSpec> = {
  penguins: {
    task: 'classification',
    target: 'species',
    inputs: [
      {
        name: 'numerical',
        kind: 'numerical',
        columns: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'],
      },
      { name: 'categorical', kind: 'categorical', columns: ['island', 'sex'] },
    ],
    output: 'probabilities',
    load: async () => holdoutSplit(await loadPenguins(), HOLDOUT_FRACTION, SEED),
    training: {
      hidden: [16],
      epochs: 100,
      batchSize: 16,
      learningRate: 0.01,
      l2: 1e-4,
      seed: SEED,
    },
  },
  mpg: {
    task: 'regression',
    target: 'mpg',
    inputs: [
      {
        name: 'features',
        kind: 'numerical',
        columns: ['cylinders', 'displacement', 'horsepower', 'weight_lbs', 'acceleration'],
      },
    ],
    output: 'mpg',
    load: async () => holdoutSplit(await loadCars(), HOLDOUT_FRACTION, SEED),
    training: {
      hidden: [32],
      epochs: 100,
      batchSize: 16,
      learningRate: 0.005,
      l2: 1e-4,
      seed: SEED,
    },
  },
  weather: {
    task: 'classification',
    target: 'weather',
    inputs: [
      {
        name: 'features',
        kind: 'numerical',
        columns: ['precipitation', 'temp_max', 'temp_min', 'wind'],
      },
    ],
    output: 'probabilities',
    // A time split, not a random one: 2015 stands in for the future the model is deployed into.
    load: async () => {
      const days = await loadSeattleWeather()
      return {
        train: days.filter((d) => d.date < '2015'),
        holdout: days.filter((d) => d.date >= '2015'),
      }
    },
    training: {
      hidden: [16],
      epochs: 50,
      batchSize: 32,
      learningRate: 0.01,
      l2: 1e-4,
      seed: SEED,
    },
  },
}
