// Evaluation metrics for the binary shared/private task, as pure functions. `positive` = shared.

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface BinaryReport {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** NaN when scores are absent or only one class is present. */
  rocAuc: number;
  confusion: Confusion;
}

export function confusion(truth: readonly boolean[], pred: readonly boolean[]): Confusion {
  if (truth.length !== pred.length) throw new RangeError(`truth has ${truth.length} rows, predictions ${pred.length}`);
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < truth.length; i++) {
    if (pred[i] && truth[i]) c.tp++;
    else if (pred[i]) c.fp++;
    else if (truth[i]) c.fn++;
    else c.tn++;
  }
  return c;
}

const div = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Area under the ROC curve by the rank-sum (Mann-Whitney U) formula, ties counted half. */
export function rocAuc(truth: readonly boolean[], scores: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (truth[idx[k]]) {
      nPos++;
      rankSumPos += avgRank;
    }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** ROC points (fpr, tpr) from the highest threshold down, starting at (0, 0). */
export function rocCurve(truth: readonly boolean[], scores: readonly number[]): { fpr: number; tpr: number; threshold: number }[] {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const P = truth.filter(Boolean).length;
  const N = truth.length - P;
  const pts = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (truth[idx[i]]) tp++;
    else fp++;
    if (i + 1 < idx.length && scores[idx[i + 1]] === scores[idx[i]]) continue;
    pts.push({ fpr: div(fp, N), tpr: div(tp, P), threshold: scores[idx[i]] });
  }
  return pts;
}

export function binaryReport(truth: readonly boolean[], pred: readonly boolean[], scores?: readonly number[]): BinaryReport {
  const c = confusion(truth, pred);
  const precision = div(c.tp, c.tp + c.fp);
  const recall = div(c.tp, c.tp + c.fn);
  return {
    n: truth.length,
    accuracy: div(c.tp + c.tn, truth.length),
    precision,
    recall,
    f1: div(2 * precision * recall, precision + recall),
    rocAuc: scores ? rocAuc(truth, scores) : NaN,
    confusion: c,
  };
}

/** Per stratum: how many vehicles, and the share given their true label. */
export function perStratumRecall(truth: readonly boolean[], pred: readonly boolean[], strata: readonly string[]): Record<string, { n: number; recall: number; truth: 'shared' | 'private' }> {
  const out: Record<string, { n: number; hit: number; pos: number }> = {};
  for (let i = 0; i < truth.length; i++) {
    const s = (out[strata[i]] ??= { n: 0, hit: 0, pos: 0 });
    s.n++;
    if (truth[i]) s.pos++;
    if (truth[i] === pred[i]) s.hit++;
  }
  return Object.fromEntries(Object.entries(out).sort().map(([k, v]) => [k, { n: v.n, recall: v.hit / v.n, truth: v.pos * 2 >= v.n ? 'shared' : 'private' }]));
}

/**
 * Confidence vs accuracy of the ranked target (the reference work's figure): vehicles ranked by
 * confidence (max class probability), accuracy of the top fraction for fractions 0.1, 0.2, ... 1.
 */
export function confidenceCurve(truth: readonly boolean[], pShared: readonly number[], steps = 10): { fraction: number; accuracy: number; minConfidence: number }[] {
  const conf = pShared.map((p) => Math.max(p, 1 - p));
  const idx = conf.map((_, i) => i).sort((a, b) => conf[b] - conf[a]);
  const out = [];
  for (let s = 1; s <= steps; s++) {
    const k = Math.max(1, Math.round((s / steps) * idx.length));
    let hit = 0;
    for (let i = 0; i < k; i++) if (pShared[idx[i]] >= 0.5 === truth[idx[i]]) hit++;
    out.push({ fraction: s / steps, accuracy: hit / k, minConfidence: conf[idx[k - 1]] });
  }
  return out;
}
