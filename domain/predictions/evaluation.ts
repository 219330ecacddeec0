/**
 * Measures of a model against what happened: ROC AUC and top-decile lift for a risk score, mean
 * absolute and root-mean-square error for a count or an amount. Used by the benchmark and, on a
 * held-back slice of the training period, by a retraining workflow to record a model's quality.
 * Ties never depend on input order. Pure and deterministic, so workflows can import it.
 */

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * ties counting half (the Mann–Whitney statistic with mid-ranks). 0.5 is chance.
 */
export function areaUnderRocCurve(scores: readonly number[], positives: readonly boolean[]): number {
  checkPaired(scores, positives);
  const order = scores.map((_, i) => i).sort((i, j) => scores[i]! - scores[j]!);
  let rankSumOfPositives = 0;
  let positiveCount = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (positives[order[k]!]) {
        rankSumOfPositives += midRank;
        positiveCount++;
      }
    }
    start = end;
  }
  const negativeCount = scores.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) throw new RangeError('AUC needs both positive and negative cases');
  return (rankSumOfPositives - (positiveCount * (positiveCount + 1)) / 2) / (positiveCount * negativeCount);
}

/**
 * Positive rate among the top `fraction` by score (default the top decile, round(n/10) cases) divided
 * by the overall positive rate. A tie group that straddles the cut counts in proportion, which is the
 * expected lift when ties are broken at random. 1 is no better than picking at random.
 */
export function topFractionLift(scores: readonly number[], positives: readonly boolean[], fraction = 0.1): number {
  checkPaired(scores, positives);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  const n = scores.length;
  const take = Math.max(1, Math.round(n * fraction));
  const order = scores.map((_, i) => i).sort((i, j) => scores[j]! - scores[i]!);
  let taken = 0;
  let positivesTaken = 0;
  for (let start = 0; start < n && taken < take; ) {
    let end = start;
    let groupPositives = 0;
    while (end < n && scores[order[end]!] === scores[order[start]!]) {
      if (positives[order[end]!]) groupPositives++;
      end++;
    }
    const size = end - start;
    const room = Math.min(size, take - taken);
    positivesTaken += (groupPositives * room) / size;
    taken += room;
    start = end;
  }
  const overallRate = positives.filter(Boolean).length / n;
  if (overallRate === 0) throw new RangeError('lift needs at least one positive case');
  return positivesTaken / take / overallRate;
}

export function meanAbsoluteError(predicted: readonly number[], actual: readonly number[]): number {
  checkPaired(predicted, actual);
  return predicted.reduce((s, p, i) => s + Math.abs(p - actual[i]!), 0) / predicted.length;
}

export function rootMeanSquaredError(predicted: readonly number[], actual: readonly number[]): number {
  checkPaired(predicted, actual);
  return Math.sqrt(predicted.reduce((s, p, i) => s + (p - actual[i]!) ** 2, 0) / predicted.length);
}

function checkPaired(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length === 0) throw new RangeError('nothing to evaluate: no cases');
  if (a.length !== b.length) throw new RangeError(`${a.length} predictions but ${b.length} outcomes`);
}
