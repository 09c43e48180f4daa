import { describe, expect, it } from 'vitest'
import type { DemoModelSummary, DemoProgress } from '../../training/demo/index.ts'
import { trainingProgress } from './progress.ts'

const summary = {
  name: 'penguins',
  task: 'classification',
  target: 'species',
  rows: { train: 266, holdout: 67 },
  holdout: { accuracy: 0.98507, macro_f1: 0.98111 },
  training_seconds: 1.234,
} as DemoModelSummary

/** A model's 100 epochs as buildDemoModels reports them. */
function train(show: (p: DemoProgress) => void) {
  const at = { name: 'penguins' as const, index: 1, count: 3, epochs: 100 }
  for (let epoch = 0; epoch <= 100; epoch++) show({ ...at, epoch })
  show({ ...at, epoch: 100, done: summary })
}

function capture(isTTY: boolean) {
  let text = ''
  return { stream: { isTTY, write: (chunk: string) => (text += chunk) }, text: () => text }
}

describe('training progress', () => {
  it('is one line per model in a log or a pipe: what, how many epochs, how it scored', () => {
    const out = capture(false)
    train(trainingProgress(out.stream))
    expect(out.text()).toBe(
      'training penguins (1/3), 100 epochs ... done in 1.2 s: holdout accuracy 0.985, macro F1 0.981\n',
    )
  })

  it('counts epochs in place on a terminal, once per percent, and leaves the finished line', () => {
    const out = capture(true)
    train(trainingProgress(out.stream))
    const updates = out.text().split('\r\x1b[K').filter(Boolean)
    // 0% … 100%, each once, then the finished line.
    expect(updates).toHaveLength(102)
    expect(updates[50]).toBe('training penguins (1/3), 100 epochs: epoch 50 (50%)')
    expect(updates.at(-1)).toBe(
      'training penguins (1/3), 100 epochs ... done in 1.2 s: holdout accuracy 0.985, macro F1 0.981\n',
    )
  })
})
