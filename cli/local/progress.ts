import type { DemoModelSummary, DemoProgress } from '../../training/demo/index.ts'

interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
}

/**
 * Shows the demo models' training on `stream` (stderr): on a terminal, one line per model that
 * counts its epochs in place; elsewhere (a log, a pipe), one line per model, written as it starts
 * and finished when it is trained — no rewritten lines in a file.
 */
export function trainingProgress(stream: ProgressStream = process.stderr) {
  let shownPercent = -1
  return (progress: DemoProgress) => {
    const head = `training ${progress.name} (${progress.index}/${progress.count}), ${progress.epochs} epochs`
    if (progress.done) {
      const tail = ` done in ${progress.done.training_seconds.toFixed(1)} s: ${quality(progress.done)}\n`
      stream.write(stream.isTTY ? `\r\x1b[K${head} ...${tail}` : tail)
      shownPercent = -1
      return
    }
    const percent = Math.floor((100 * progress.epoch) / progress.epochs)
    if (!stream.isTTY) {
      if (progress.epoch === 0) stream.write(`${head} ...`)
      return
    }
    // A line per percent at most: a hundred epochs a second would otherwise flood the terminal.
    if (percent === shownPercent) return
    shownPercent = percent
    stream.write(`\r\x1b[K${head}: epoch ${progress.epoch} (${percent}%)`)
  }
}

/** The holdout metrics the gate judges the model on. */
function quality({ holdout }: DemoModelSummary) {
  const round = (n: number) => Number(n.toPrecision(3))
  return 'accuracy' in holdout
    ? `holdout accuracy ${round(holdout.accuracy)}, macro F1 ${round(holdout.macro_f1)}`
    : `holdout RMSE ${round(holdout.rmse)}, MAE ${round(holdout.mae)}`
}
