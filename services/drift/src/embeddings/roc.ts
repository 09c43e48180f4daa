/** ROC AUC as `sklearn.metrics.roc_auc_score` gives it for two classes: tied scores count half. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  )
  // Mann–Whitney: the positives' rank sum, ties given their average rank.
  let positives = 0
  let rankSum = 0
  for (let start = 0; start < n; ) {
    let end = start + 1
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) end++
    const rank = (start + 1 + end) / 2
    for (let k = start; k < end; k++) {
      if (labels[order[k] as number] === 1) {
        positives++
        rankSum += rank
      }
    }
    start = end
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) return Number.NaN
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}
