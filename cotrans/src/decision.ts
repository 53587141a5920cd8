// The final, label-free decision of CoTrans: where to cut the ensemble's score.
//
// Models co-trained on their own most confident pseudo-labels learn the clearest vehicles of each
// class (full-time taxis against cars parked at home every night). Vehicles in between (part-time
// drivers, car-sharing) get balanced posteriors of 0.1-0.7: ranked well above nearly every private car,
// yet under 1/2. A fixed cut at 1/2 misses them; shifting to an estimated prior needs calibrated
// posteriors, which these models do not have (README, Figures). What is left is the shape of the scores
// on the target itself: private cars are the majority and form the densest mode of the ensemble's
// log-odds; the cut goes to the first density valley above that mode, and never above the balanced
// boundary (log-odds 0), which is where the confident pseudo-labels already put it.
import { shiftPrior } from './prior.js';

/** log-odds of p, with p clipped to [eps, 1 - eps] (a forest's 0 or 1 vote share is not infinite evidence). */
export function logit(p: number, eps: number): number {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return Math.log(q / (1 - q));
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export interface ValleyOptions {
  /** Gaussian kernel bandwidth in log-odds units (0.75). */
  bandwidth: number;
  /** The cut is never above this log-odds (0: the balanced boundary). */
  upper: number;
  /** Grid step of the density scan (0.05). */
  step: number;
}

export const DEFAULT_VALLEY: ValleyOptions = { bandwidth: 0.75, upper: 0, step: 0.05 };

/**
 * The first local minimum of a Gaussian kernel density of `z` above its highest mode, searched up to
 * `upper`; null when the density falls all the way to `upper` without a valley, or when the mode lies
 * above it (then the majority is not the low-score class and there is nothing to correct).
 */
export function valleyCut(z: readonly number[], options: Partial<ValleyOptions> = {}): number | null {
  const o = { ...DEFAULT_VALLEY, ...options };
  const v = z.filter(Number.isFinite);
  if (v.length < 3) return null;
  let lo = Infinity;
  for (const x of v) if (x < lo) lo = x;
  lo -= 3 * o.bandwidth;
  if (lo >= o.upper) return null;
  const sorted = [...v].sort((a, b) => a - b);
  const reach = 5 * o.bandwidth;
  const density = (x: number): number => {
    // only the points within `reach` of x count (sorted: a binary search for the window)
    let a = 0;
    let b = sorted.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (sorted[m] < x - reach) a = m + 1;
      else b = m;
    }
    let s = 0;
    for (let i = a; i < sorted.length && sorted[i] <= x + reach; i++) s += Math.exp(-0.5 * ((x - sorted[i]) / o.bandwidth) ** 2);
    return s;
  };
  let hi = -Infinity;
  for (const x of v) if (x > hi) hi = x;
  hi += 3 * o.bandwidth;
  const xs: number[] = [];
  for (let x = lo; x <= hi; x += o.step) xs.push(x);
  const d = xs.map(density);
  let mode = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[mode]) mode = i;
  if (xs[mode] >= o.upper) return null;
  for (let i = mode + 1; i < d.length - 1 && xs[i] < o.upper; i++) if (d[i] <= d[i - 1] && d[i] < d[i + 1]) return xs[i];
  return null;
}

/**
 * The cut of the 'valley' rule: the valley when there is one; otherwise the score of the vehicle at
 * rank `prior` x n (the share stage 1 estimated), if that lies below `upper`; otherwise `upper`.
 */
export function valleyOrPriorCut(z: readonly number[], prior: number, options: Partial<ValleyOptions> = {}): { threshold: number; by: 'valley' | 'prior' | 'upper' } {
  const upper = options.upper ?? DEFAULT_VALLEY.upper;
  const valley = valleyCut(z, options);
  if (valley !== null) return { threshold: valley, by: 'valley' };
  const sorted = z.filter(Number.isFinite).sort((a, b) => b - a);
  const k = Math.round(prior * sorted.length);
  if (k >= 1 && k <= sorted.length && sorted[k - 1] < upper) return { threshold: sorted[k - 1], by: 'prior' };
  return { threshold: upper, by: 'upper' };
}

/**
 * Otsu's threshold of `z`: the cut between two groups that maximises the between-group variance
 * (equivalently, minimises the pooled within-group variance). Needs no density estimate, so no
 * bandwidth; null for fewer than 2 distinct finite values.
 */
export function otsuCut(z: readonly number[]): number | null {
  // a window of 0 holds no value (every candidate cut lies between two distinct values): no weight
  return valleyEmphasisCut(z, 0);
}

/**
 * Neighbourhood valley-emphasis Otsu (Ng 2006; Fan & Lei 2012): the cut maximising
 * (1 - p(t)) x the between-group variance, where p(t) is the share of the values within `window` of
 * the cut t. Otsu alone assumes two groups of some size: with few shared vehicles the between-group
 * variance is flat over the private tail and its maximum drifts into it; the weight moves the cut to
 * where the scores are sparse. Null for fewer than 2 distinct finite values.
 */
export function valleyEmphasisCut(z: readonly number[], window: number): number | null {
  const s = z.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  if (n < 2 || s[0] === s[n - 1]) return null;
  const pre = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) pre[i + 1] = pre[i] + s[i];
  let best = -Infinity;
  let cut: number | null = null;
  let lo = 0;
  let hi = 0;
  for (let k = 1; k < n; k++) {
    if (s[k - 1] === s[k]) continue;
    const t = (s[k - 1] + s[k]) / 2;
    while (s[lo] < t - window) lo++;
    while (hi < n && s[hi] <= t + window) hi++;
    const w0 = k / n;
    const d = pre[k] / k - (pre[n] - pre[k]) / (n - k);
    const score = (1 - (hi - lo) / n) * w0 * (1 - w0) * d * d;
    if (score > best) {
      best = score;
      cut = t;
    }
  }
  return cut;
}

/**
 * An Otsu-family cut (`valleyEmphasisCut` with `window`; 0 is Otsu's) that may put at most `maxAbove`
 * values at or above it. When more lie above, the cut fell inside the majority's mode, not between
 * the groups: with 2% shared vehicles the between-group variance of splitting the private cars' wide
 * mode beats that of splitting off the few shared ones. The rule is then run again on the values above
 * its cut (the shared group and the private tail, where the shared vehicles are no longer rare), up to
 * `maxPasses` passes in all. `passes` is 1 when the first cut stood.
 */
export function guardedCut(z: readonly number[], window: number, maxAbove: number, maxPasses = 4): { threshold: number | null; passes: number } {
  let t = valleyEmphasisCut(z, window);
  let passes = 1;
  const above = (c: number) => z.reduce((k, v) => (v >= c ? k + 1 : k), 0);
  while (t !== null && passes < maxPasses && above(t) > maxAbove) {
    const cut: number = t;
    const u = valleyEmphasisCut(z.filter((v) => v > cut), window);
    if (u === null || u <= cut) break;
    t = u;
    passes++;
  }
  return { threshold: t, passes };
}

/**
 * How the two models' class-balanced posteriors become the final P(shared).
 * 'logit': weighted mean of the clipped log-odds, less `threshold`, through the sigmoid, so that
 * P(shared) >= 1/2 exactly where the combined log-odds reach the cut. 'probability': each posterior
 * moved to `prior`, then their weighted mean.
 */
export type Decision =
  | { combine: 'logit'; rule: 'valley' | 'balanced' | 'otsu' | 'valley-emphasis'; threshold: number; by?: 'valley' | 'prior' | 'upper'; passes?: number; clipRf: number; clipCnn: number }
  | { combine: 'probability'; rule: 'balanced' | 'em' | 'mixture' | 'stage1'; prior: number };

export interface Combined {
  pRf: number[];
  pCnn: number[];
  pShared: number[];
}

export function combine(rawRf: readonly number[], rawCnn: readonly number[], weightRf: number, d: Decision): Combined {
  if (d.combine === 'probability') {
    const pRf = rawRf.map((p) => shiftPrior(p, d.prior, 0.5));
    const pCnn = rawCnn.map((p) => shiftPrior(p, d.prior, 0.5));
    return { pRf, pCnn, pShared: pRf.map((p, i) => weightRf * p + (1 - weightRf) * pCnn[i]) };
  }
  const zr = rawRf.map((p) => logit(p, d.clipRf));
  const zc = rawCnn.map((p) => logit(p, d.clipCnn));
  return {
    pRf: zr.map((z) => sigmoid(z - d.threshold)),
    pCnn: zc.map((z) => sigmoid(z - d.threshold)),
    pShared: zr.map((z, i) => sigmoid(weightRf * z + (1 - weightRf) * zc[i] - d.threshold)),
  };
}

/** Combined log-odds before the cut (what `valleyCut` reads). */
export function combinedLogit(rawRf: readonly number[], rawCnn: readonly number[], weightRf: number, clipRf: number, clipCnn: number): number[] {
  return rawRf.map((p, i) => weightRf * logit(p, clipRf) + (1 - weightRf) * logit(rawCnn[i], clipCnn));
}
