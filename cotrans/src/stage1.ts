// Stage 1, source-target linking: an RF trained on the labeled source fleet's transferable features,
// domains aligned (by default each domain's private cars put on a common robust scale), the remaining domain
// distance measured (multi-kernel MMD per feature set), the target scored, and confident seeds chosen
// per class with a class-balance rule.
import { UserError } from '@cotrans/core';
import { RandomForestClassifier, type RandomForestOptions } from './rf/forest.js';
import { applyLinear, coralTransform, fitRobustStandardisation, fitStandardisation, keepUnits, mmd, standardise, type Standardisation } from './align.js';
import type { Matrix } from './linalg.js';
import { estimatePrior, shiftPrior } from './prior.js';

/**
 * 'anchored' (default): the source standardised with the robust statistics (median, MAD) of its
 * *private* vehicles (labels known), the target with the robust statistics of all its vehicles, which
 * are those of its private majority (a 50% breakdown point: shared vehicles under half the pool barely
 * move them). Private cars of both cities land on one scale, whatever the share of shared vehicles.
 * 'standardise': each domain z-scored with its own mean and SD, which move with the class mix.
 * 'coral': 'standardise', then the source re-coloured to the target covariance.
 */
export type Alignment = 'none' | 'standardise' | 'coral' | 'anchored';
export const ALIGNMENTS: readonly Alignment[] = ['anchored', 'coral', 'standardise', 'none'];

/**
 * Target prior estimate. 'count' (default): the share of the target the class-balanced forest puts
 * at P(shared) >= 1/2. 'em': EM of Saerens et al. on its posteriors, which assumes calibrated ones; a
 * forest trained in another city is not, and EM said 1-1.5% against a true 8% (docs/experiments/2026-12-02-learning-stage-history.md).
 */
export type PriorEstimate = 'count' | 'em';

export interface SeedOptions {
  /** Seeds in all, as a fraction of the target (0.2). */
  fraction: number;
  /** Each class gets at least this share of the seeds, however rare it looks (0.3). */
  minClassShare: number;
  /** Confidence (max class probability) a seed needs (0.6). */
  floor: number;
  /** At least this many seeds per class, taken below the floor if need be (10). */
  minPerClass: number;
  /** A class never gets more seeds than this share of the vehicles the prior assigns it (0.25). */
  maxShareOfClass: number;
  /** Rank and floor seeds on the class-balanced posteriors (true) or on the prior-shifted ones (false). */
  balanced?: boolean;
}

export interface Stage1Options {
  alignment: Alignment;
  prior: PriorEstimate;
  rf: RandomForestOptions;
  seeds: SeedOptions;
  /** Named groups of column indexes for the MMD report; 'all' is always added. */
  featureSets?: Record<string, number[]>;
  /** Column indexes the alignment leaves in their own units ('anchored', 'standardise'; see `keepUnits`). */
  unitColumns?: readonly number[];
  onProgress?: (treesDone: number, treesTotal: number) => void;
}

export const DEFAULT_STAGE1: Stage1Options = {
  alignment: 'anchored',
  prior: 'count',
  rf: { nEstimators: 100, criterion: 'entropy', minSamplesLeaf: 2, classWeight: 'balanced', seed: 0 },
  // measured on simulated source -> target fleets (docs/experiments/2026-12-02-learning-stage-history.md): per-domain standardisation shifts the
  // target by its own class mix, which differs from the source's; anchoring on the private class
  // does not, and ranked the target best (AUC, precision of the most confident) on four pairs.
  seeds: { fraction: 0.2, minClassShare: 0.3, floor: 0.8, minPerClass: 10, maxShareOfClass: 0.25 },
};

export interface Seed {
  /** Row of the target. */
  index: number;
  shared: boolean;
  confidence: number;
}

export interface Stage1Result {
  rf: RandomForestClassifier;
  alignment: Alignment;
  source: Standardisation;
  target: Standardisation;
  coral: Matrix | null;
  /** P(shared) per target row from the source-trained (class-balanced) RF, moved to the estimated target prior. */
  pShared: number[];
  /** The same before the prior shift (the RF's balanced-prior posterior). */
  pBalanced: number[];
  /** Estimated share of shared vehicles in the target (EM on the balanced posteriors). */
  prior: number;
  seeds: Seed[];
  mmd: { set: string; columns: number; before: number; after: number }[];
  /**
   * Target rows whose statistics anchor the target's scale ('anchored'): the rows a first forest,
   * trained on the source's raw features, calls private; every row when it calls fewer than
   * MIN_ANCHOR_SHARE of them private. Empty for the other alignments.
   */
  anchorRows: number[];
}

/** Below this share of the target called private, the anchor falls back to the whole target. */
export const MIN_ANCHOR_SHARE = 0.2;

function cols(X: number[][], idx: number[]): number[][] {
  return X.map((r) => idx.map((i) => r[i]));
}

/**
 * Picks confident rows per class from prior-shifted posteriors. Class-balance rule: the shared quota is
 * the seed budget times the estimated prior, raised to `minClassShare` so the minority is not drowned,
 * but never more than `maxShareOfClass` of the vehicles the prior says are shared (the rest are not confident).
 */
export function chooseSeeds(pShared: readonly number[], o: SeedOptions, prior?: number): Seed[] {
  const n = pShared.length;
  const pi = prior ?? (n ? pShared.reduce((a, b) => a + b, 0) / n : 0.5);
  const total = Math.max(2 * o.minPerClass, Math.round(o.fraction * n));
  const quotaFor = (share: number) => Math.max(o.minPerClass, Math.min(Math.round(total * Math.max(o.minClassShare, share)), Math.round(o.maxShareOfClass * share * n)));
  const quota = { shared: quotaFor(pi), private: quotaFor(1 - pi) };
  const out: Seed[] = [];
  for (const cls of [true, false]) {
    const cand = pShared
      .map((p, index) => ({ index, shared: cls, confidence: cls ? p : 1 - p }))
      .sort((a, b) => b.confidence - a.confidence || a.index - b.index);
    const want = cls ? quota.shared : quota.private;
    const above = cand.filter((c) => c.confidence >= o.floor && c.confidence > 0.5).slice(0, want);
    const take = above.length >= o.minPerClass ? above : cand.slice(0, Math.min(o.minPerClass, want));
    out.push(...take);
  }
  // a row can only be a seed of one class
  const seen = new Set<number>();
  return out.filter((s) => !seen.has(s.index) && (seen.add(s.index), true));
}

export async function runStage1(
  source: { X: number[][]; shared: boolean[] },
  target: { X: number[][] },
  options: Partial<Stage1Options> = {},
): Promise<Stage1Result> {
  const o = { ...DEFAULT_STAGE1, ...options, seeds: { ...DEFAULT_STAGE1.seeds, ...options.seeds }, rf: { ...DEFAULT_STAGE1.rf, ...options.rf } };
  if (!source.X.length) throw new UserError('the source fleet has no usable vehicles');
  if (!target.X.length) throw new UserError('the target fleet has no usable vehicles');
  const nPos = source.shared.filter(Boolean).length;
  if (nPos === 0 || nPos === source.shared.length) throw new UserError(`the source labels hold a single class (${nPos ? 'shared' : 'private'} only): stage 1 needs both`);
  const anchored = o.alignment === 'anchored';
  const labels = source.shared.map((s) => (s ? 'shared' : 'private'));
  // Anchoring: private cars of both cities on one scale. The source's are labelled; the target's are
  // those a forest on the raw (location-invariant) features calls private, so the target's own share
  // of shared vehicles, 2% or 50%, does not move its scale.
  let anchorRows: number[] = [];
  if (anchored) {
    const first = await new RandomForestClassifier(o.rf).fit(source.X, labels);
    const p0 = first.probaOf(target.X, 'shared');
    anchorRows = p0.flatMap((p, i) => (p < 0.5 ? [i] : []));
    if (anchorRows.length < Math.max(2, MIN_ANCHOR_SHARE * target.X.length)) anchorRows = target.X.map((_, i) => i);
  }
  const units = o.alignment === 'coral' ? [] : (o.unitColumns ?? []);
  const sStats = keepUnits(anchored ? fitRobustStandardisation(source.X.filter((_, i) => !source.shared[i])) : fitStandardisation(source.X), units);
  const tStats = keepUnits(anchored ? fitRobustStandardisation(anchorRows.map((i) => target.X[i])) : fitStandardisation(target.X), units);
  let Xs: number[][];
  let Xt: number[][];
  let coral: Matrix | null = null;
  if (o.alignment === 'none') {
    Xs = source.X.map((r) => [...r]);
    Xt = target.X.map((r) => [...r]);
  } else {
    Xs = standardise(source.X, sStats);
    Xt = standardise(target.X, tStats);
    if (o.alignment === 'coral') {
      coral = coralTransform(Xs, Xt);
      Xs = applyLinear(Xs, coral);
    }
  }
  // Before alignment: both domains on the source's scale (as the reference work z-scored them).
  const zStats = fitStandardisation(source.X);
  const beforeS = standardise(source.X, zStats);
  const beforeT = standardise(target.X, zStats);
  const nF = source.X[0].length;
  const sets: Record<string, number[]> = { all: Array.from({ length: nF }, (_, i) => i), ...(o.featureSets ?? {}) };
  const mmdRows = Object.entries(sets).map(([set, idx]) => ({
    set,
    columns: idx.length,
    before: mmd(cols(beforeS, idx), cols(beforeT, idx)),
    after: o.alignment === 'none' ? mmd(cols(beforeS, idx), cols(beforeT, idx)) : mmd(cols(Xs, idx), cols(Xt, idx)),
  }));
  const rf = await new RandomForestClassifier(o.rf).fit(Xs, labels, { onProgress: o.onProgress });
  // The forest is class-balanced, so its posteriors assume a prior of 1/2.
  const pBalanced = rf.probaOf(Xt, 'shared');
  const prior = o.prior === 'em' ? estimatePrior(pBalanced, 0.5) : pBalanced.filter((p) => p >= 0.5).length / pBalanced.length;
  const pShared = pBalanced.map((p) => shiftPrior(p, prior, 0.5));
  return { rf, alignment: o.alignment, source: sStats, target: tStats, coral, pShared, pBalanced, prior, seeds: chooseSeeds(o.seeds.balanced ? pBalanced : pShared, o.seeds, prior), mmd: mmdRows, anchorRows };
}
