// The final, label-free decision of CoTrans: where to cut the ensemble's score.
//
// Models co-trained on their own most confident pseudo-labels learn the clearest vehicles of each
// class (full-time taxis against cars parked at home every night). Vehicles in between (part-time
// drivers, car-sharing) get balanced posteriors of 0.1-0.7: ranked well above nearly every private
// car, yet under 1/2, so a fixed cut at 1/2 misses them, and shifting to an estimated prior needs
// calibrated posteriors, which these models do not have. What is left is the shape of the scores on
// the target itself: with M2 scoring vehicles by their best days, the combined log-odds are bimodal
// (private cars low, shared ones piled near the clip, few in between). The default rule, 'otsu',
// puts the cut where the between-group variance of the two piles is greatest, guarded against a cut
// that falls inside the private mode (`guardedCut`).
import { UserError } from '@cotrans/core';
import { logit, sigmoid } from './maths.js';

/**
 * 'otsu' (default): Otsu's threshold of the combined log-odds over the target. 'valley-emphasis':
 * each candidate cut of Otsu's weighed by 1 - the share of the target within `EMPHASIS_WINDOW` of it,
 * so the cut moves to where scores are sparse (it rescued a 4%-shared target whose Otsu cut fell into
 * the private tail). 'balanced': the combined log-odds cut at 0 (measured on the real weeks).
 */
export const DECISIONS = ['otsu', 'valley-emphasis', 'balanced'] as const;
export type DecisionRule = (typeof DECISIONS)[number];
export const DEFAULT_DECISION: DecisionRule = 'otsu';

/** Half-width, in log-odds, of the neighbourhood whose share of the target weighs a 'valley-emphasis' cut. */
export const EMPHASIS_WINDOW = 0.5;

/**
 * How the two models' class-balanced posteriors become the final P(shared): the weighted mean of the
 * clipped log-odds, less `threshold`, through the sigmoid, so that P(shared) >= 1/2 exactly where the
 * combined log-odds reach the cut. Model directories written with the former 'valley' rule hold the
 * same form, and classify repeats their stored cut.
 */
export interface Decision {
  combine: 'logit';
  rule: DecisionRule | 'valley';
  threshold: number;
  /** Passes of `guardedCut` (1: the first cut stood). */
  passes?: number;
  /** True where `flooredCut` moved the cut down. */
  floored?: boolean;
  clipRf: number;
  clipCnn: number;
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
 * `threshold`, lowered where fewer than `minAbove` of `z` lie at or above it: then halfway between the
 * ceil(minAbove)-th highest value and the next one down, so exactly that many do. The cut of an
 * Otsu-family rule can sit above a middle group of vehicles that belongs to the shared side (a real
 * week's part-time drivers), which the shape of the scores alone cannot tell from a private tail; the
 * number stage 1 expects above the cut can.
 */
export function flooredCut(z: readonly number[], threshold: number, minAbove: number): number {
  const want = Math.min(z.length, Math.ceil(minAbove));
  if (want <= 0 || z.reduce((k, v) => (v >= threshold ? k + 1 : k), 0) >= want) return threshold;
  const s = z.filter(Number.isFinite).sort((a, b) => b - a);
  if (want > s.length) return threshold;
  const below = want < s.length ? s[want] : s[want - 1] - 1;
  return s[want - 1] === below ? s[want - 1] : (s[want - 1] + below) / 2;
}

/** What stage 1's estimated share allows above an Otsu-family cut, in vehicles. */
export interface CutBounds {
  /** See `guardedCut`. */
  maxAbove: number;
  /** See `flooredCut` (0: no floor). */
  minAbove?: number;
}

/**
 * The decision of `rule` on the two models' balanced posteriors over the target. `bounds` guard and
 * floor the Otsu-family cuts; `nEstimators` sets the forest's clip: a vote share of 0 or 1 counts as
 * half a tree's vote, the CNN's sigmoid is clipped at 1e-5.
 */
export function decide(rule: DecisionRule, rawRf: readonly number[], rawCnn: readonly number[], weightRf: number, bounds: CutBounds, nEstimators: number): Decision {
  const clipRf = 0.5 / nEstimators;
  const clipCnn = 1e-5;
  if (rule === 'balanced') return { combine: 'logit', rule, threshold: 0, clipRf, clipCnn };
  const z = combinedLogit(rawRf, rawCnn, weightRf, clipRf, clipCnn);
  const cut = guardedCut(z, rule === 'otsu' ? 0 : EMPHASIS_WINDOW, bounds.maxAbove);
  const threshold = flooredCut(z, cut.threshold ?? 0, bounds.minAbove ?? 0);
  return { combine: 'logit', rule, threshold, passes: cut.passes, ...(threshold !== (cut.threshold ?? 0) ? { floored: true } : {}), clipRf, clipCnn };
}

export interface Combined {
  pRf: number[];
  pCnn: number[];
  pShared: number[];
}

export function combine(rawRf: readonly number[], rawCnn: readonly number[], weightRf: number, d: Decision): Combined {
  // model directories of older versions could hold a prior-shift rule ('probability'): never a default
  // and never offered by the CLI; refuse it rather than guess
  if ((d as { combine: string }).combine !== 'logit') throw new UserError(`model decision '${(d as { combine: string }).combine}' (rule ${String(d.rule)}) is no longer supported: train the model again`, { field: 'decision' });
  const zr = rawRf.map((p) => logit(p, d.clipRf));
  const zc = rawCnn.map((p) => logit(p, d.clipCnn));
  return {
    pRf: zr.map((z) => sigmoid(z - d.threshold)),
    pCnn: zc.map((z) => sigmoid(z - d.threshold)),
    pShared: zr.map((z, i) => sigmoid(weightRf * z + (1 - weightRf) * zc[i] - d.threshold)),
  };
}

/** Combined log-odds before the cut (what the cut rules read). */
export function combinedLogit(rawRf: readonly number[], rawCnn: readonly number[], weightRf: number, clipRf: number, clipCnn: number): number[] {
  return rawRf.map((p, i) => weightRf * logit(p, clipRf) + (1 - weightRf) * logit(rawCnn[i], clipCnn));
}
