// RandomForestClassifier: scikit-learn's estimator shape (fit / predict / predictProba, seeded,
// serialisable), grown on histogram bins so training scales as n log n, trees in parallel on workers.
import { availableParallelism } from 'node:os';
import { binMatrix } from './binning.js';
import { growForest } from './pool.js';
import { accumulate, compileForest, encodeRows, type CompiledForest } from './compiled.js';
import { leafOf, type Criterion, type TreeData, type TreeParams } from './tree.js';
import { deriveSeed, mulberry32, shuffle } from '@cotrans/core';

export type Label = string | number;

export interface RandomForestOptions {
  /** Number of trees (100). */
  nEstimators?: number;
  criterion?: Criterion;
  /** null: grow until pure or minSamples* stop it. */
  maxDepth?: number | null;
  minSamplesSplit?: number;
  minSamplesLeaf?: number;
  /** Features tried per split: 'sqrt' (default), 'log2', an integer count, a fraction in (0, 1], or null for all. */
  maxFeatures?: 'sqrt' | 'log2' | number | null;
  bootstrap?: boolean;
  /** Compute the out-of-bag accuracy (needs bootstrap). */
  oobScore?: boolean;
  /** 'balanced': weights n / (k * count(class)); or explicit weights per class label. */
  classWeight?: 'balanced' | Record<string, number> | null;
  /** Histogram bins per feature, 2..256 (256). */
  maxBins?: number;
  seed?: number;
  /** Worker threads for training (default: available cores). 1 = in-thread. */
  nJobs?: number;
}

export interface FitOptions {
  onProgress?: (treesDone: number, treesTotal: number) => void;
  /** Override the worker script (tests); null forces in-thread training. */
  workerScript?: { url: URL; execArgv: string[] } | null;
}

interface StoredTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface RandomForestJSON {
  format: 'cotrans-random-forest';
  version: 1;
  options: Required<Omit<RandomForestOptions, 'maxDepth' | 'maxFeatures' | 'classWeight'>> & {
    maxDepth: number | null;
    maxFeatures: 'sqrt' | 'log2' | number | null;
    classWeight: 'balanced' | Record<string, number> | null;
  };
  classes: Label[];
  nFeatures: number;
  featureImportances: number[];
  oobScore: number | null;
  trees: StoredTree[];
}

const DEFAULTS = {
  nEstimators: 100,
  criterion: 'gini' as Criterion,
  maxDepth: null as number | null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt' as 'sqrt' | 'log2' | number | null,
  bootstrap: true,
  oobScore: false,
  classWeight: null as 'balanced' | Record<string, number> | null,
  maxBins: 256,
  seed: 0,
  nJobs: 0,
};

type Tree = Pick<TreeData, 'feature' | 'threshold' | 'left' | 'right' | 'value'>;

function sortLabels(labels: Label[]): Label[] {
  return labels.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

export function resolveMtry(maxFeatures: RandomForestOptions['maxFeatures'], nF: number): number {
  if (maxFeatures === null || maxFeatures === undefined) return nF;
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nF)));
  if (maxFeatures === 'log2') return Math.max(1, Math.floor(Math.log2(nF)));
  if (!Number.isFinite(maxFeatures) || maxFeatures <= 0) throw new RangeError(`maxFeatures must be positive, got ${maxFeatures}`);
  if (Number.isInteger(maxFeatures) && maxFeatures > 1) return Math.min(nF, maxFeatures);
  if (maxFeatures <= 1) return Math.max(1, Math.floor(maxFeatures * nF));
  throw new RangeError(`maxFeatures ${maxFeatures}: give an integer count or a fraction in (0, 1]`);
}

export class RandomForestClassifier {
  readonly options: typeof DEFAULTS;
  classes: Label[] = [];
  nFeatures = 0;
  trees: Tree[] = [];
  /** Mean decrease in impurity, normalised to sum 1. */
  featureImportances: number[] = [];
  /** Out-of-bag accuracy when `oobScore` was asked for. */
  oobScore: number | null = null;
  /** Out-of-bag class probabilities per training row (NaN where a row was never out of bag). */
  oobDecisionFunction: number[][] | null = null;
  /** The trees compiled for prediction, for the `trees` array they were compiled from. */
  private compiledFor: { trees: Tree[]; forest: CompiledForest | null } | null = null;

  constructor(options: RandomForestOptions = {}) {
    this.options = { ...DEFAULTS, ...options } as typeof DEFAULTS;
    const o = this.options;
    if (!Number.isInteger(o.nEstimators) || o.nEstimators < 1) throw new RangeError(`nEstimators must be a positive integer, got ${o.nEstimators}`);
    if (o.criterion !== 'gini' && o.criterion !== 'entropy') throw new RangeError(`criterion must be 'gini' or 'entropy', got ${o.criterion}`);
    if (o.minSamplesLeaf < 1 || o.minSamplesSplit < 2) throw new RangeError('minSamplesLeaf must be >= 1 and minSamplesSplit >= 2');
    if (o.oobScore && !o.bootstrap) throw new RangeError('oobScore needs bootstrap');
  }

  get fitted(): boolean {
    return this.trees.length > 0;
  }

  async fit(X: ArrayLike<number>[], y: readonly Label[], fitOpts: FitOptions = {}): Promise<this> {
    const n = X.length;
    if (n === 0) throw new RangeError('cannot fit a random forest on zero rows');
    if (y.length !== n) throw new RangeError(`X has ${n} rows but y has ${y.length} labels`);
    const nF = X[0].length;
    for (let i = 0; i < n; i++) if (X[i].length !== nF) throw new RangeError(`row ${i} has ${X[i].length} features, expected ${nF}`);
    const o = this.options;
    this.classes = sortLabels([...new Set(y)]);
    const K = this.classes.length;
    if (K > 255) throw new RangeError('at most 255 classes');
    const code = new Map(this.classes.map((c, i) => [c, i]));
    const yc = new Uint8Array(n);
    const counts = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      yc[i] = code.get(y[i])!;
      counts[yc[i]]++;
    }
    const cw = new Float64Array(K).fill(1);
    if (o.classWeight === 'balanced') for (let k = 0; k < K; k++) cw[k] = n / (K * counts[k]);
    else if (o.classWeight) for (let k = 0; k < K; k++) cw[k] = o.classWeight[String(this.classes[k])] ?? 1;

    const nJobs = o.nJobs > 0 ? o.nJobs : availableParallelism();
    const data = binMatrix(X, o.maxBins, nJobs > 1);
    const params: TreeParams = {
      criterion: o.criterion,
      maxDepth: o.maxDepth ?? Infinity,
      minSamplesSplit: o.minSamplesSplit,
      minSamplesLeaf: o.minSamplesLeaf,
      mtry: resolveMtry(o.maxFeatures, nF),
      bootstrap: o.bootstrap,
    };
    const seeds = Array.from({ length: o.nEstimators }, (_, t) => deriveSeed(o.seed, t));
    const grown = await growForest({ data, y: yc, nClasses: K, classWeight: cw, params, seeds }, nJobs, fitOpts.workerScript === undefined ? undefined : fitOpts.workerScript, fitOpts.onProgress);

    this.nFeatures = nF;
    this.trees = grown.map((t) => ({ feature: t.feature, threshold: t.threshold, left: t.left, right: t.right, value: t.value }));
    const imp = new Float64Array(nF);
    for (const t of grown) {
      let s = 0;
      for (let f = 0; f < nF; f++) s += t.importance[f];
      if (s > 0) for (let f = 0; f < nF; f++) imp[f] += t.importance[f] / s;
    }
    let si = 0;
    for (let f = 0; f < nF; f++) si += imp[f];
    this.featureImportances = Array.from(imp, (v) => (si > 0 ? v / si : 0));

    this.oobScore = null;
    this.oobDecisionFunction = null;
    if (o.oobScore) {
      const acc = Array.from({ length: n }, () => new Float64Array(K));
      const seen = new Int32Array(n);
      grown.forEach((t, ti) => {
        const tree = this.trees[ti];
        for (let i = 0; i < n; i++) {
          if (t.inBag![i] !== 0) continue;
          const leaf = leafOf(tree, X[i]);
          for (let k = 0; k < K; k++) acc[i][k] += tree.value[leaf * K + k];
          seen[i]++;
        }
      });
      let correct = 0;
      let counted = 0;
      this.oobDecisionFunction = acc.map((a, i) => {
        if (seen[i] === 0) return Array.from({ length: K }, () => NaN);
        const p = Array.from(a, (v) => v / seen[i]);
        counted++;
        if (argmax(p) === yc[i]) correct++;
        return p;
      });
      this.oobScore = counted ? correct / counted : NaN;
    }
    this.compiled(); // part of building the model, so the first predict does not pay for it
    return this;
  }

  private check(X: ArrayLike<number>[]): void {
    if (!this.fitted) throw new Error('random forest is not fitted');
    for (let i = 0; i < X.length; i++) if (X[i].length !== this.nFeatures) throw new RangeError(`row ${i} has ${X[i].length} features, the forest was fitted on ${this.nFeatures}`);
  }

  /** Class probabilities, columns in `classes` order: the mean of the trees' leaf distributions. */
  predictProba(X: ArrayLike<number>[]): number[][] {
    const K = this.classes.length;
    const acc = this.predictProbaFlat(X);
    const out: number[][] = new Array(X.length);
    for (let i = 0; i < X.length; i++) {
      const row = new Array<number>(K);
      for (let k = 0; k < K; k++) row[k] = acc[i * K + k];
      out[i] = row;
    }
    return out;
  }

  /** The compiled form of the current trees (rebuilt when `trees` is replaced); null if they do not compile. */
  private compiled(): CompiledForest | null {
    if (this.compiledFor?.trees !== this.trees) this.compiledFor = { trees: this.trees, forest: compileForest(this.trees, this.nFeatures, this.classes.length) };
    return this.compiledFor.forest;
  }

  /** predictProba as one row-major Float64Array (n x classes). */
  predictProbaFlat(X: ArrayLike<number>[]): Float64Array {
    this.check(X);
    const K = this.classes.length;
    const T = this.trees.length;
    const n = X.length;
    const cf = this.compiled();
    const acc = new Float64Array(n * K);
    if (cf) accumulate(cf, encodeRows(cf, X, 0, n), 0, n, acc);
    else this.accumulatePlain(X, acc);
    for (let j = 0; j < acc.length; j++) acc[j] /= T;
    return acc;
  }

  /** The walk on the float thresholds (forests whose splits do not compile). */
  private accumulatePlain(X: ArrayLike<number>[], acc: Float64Array): void {
    const K = this.classes.length;
    const n = X.length;
    const F = this.nFeatures;
    // copy rows once into one flat array: monomorphic, cache-friendly access in the hot loop
    const flat = new Float64Array(n * F);
    for (let i = 0; i < n; i++) {
      const r = X[i];
      for (let f = 0; f < F; f++) flat[i * F + f] = r[f];
    }
    // tree-major: one tree's arrays stay in cache while all rows pass through it
    for (const { feature, threshold, left, right, value } of this.trees) {
      for (let i = 0; i < n; i++) {
        const base = i * F;
        let node = 0;
        let f = feature[0];
        while (f >= 0) {
          node = flat[base + f] > threshold[node] ? right[node] : left[node];
          f = feature[node];
        }
        const off = node * K;
        for (let k = 0; k < K; k++) acc[i * K + k] += value[off + k];
      }
    }
  }

  /** Probability of one class per row. */
  probaOf(X: ArrayLike<number>[], label: Label): number[] {
    const k = this.classes.indexOf(label);
    if (k < 0) throw new RangeError(`class ${String(label)} was not seen at fit (classes: ${this.classes.join(', ')})`);
    return this.predictProba(X).map((r) => r[k]);
  }

  predict(X: ArrayLike<number>[]): Label[] {
    return this.predictProba(X).map((p) => this.classes[argmax(p)]);
  }

  score(X: ArrayLike<number>[], y: readonly Label[]): number {
    const p = this.predict(X);
    let c = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) c++;
    return p.length ? c / p.length : NaN;
  }

  toJSON(): RandomForestJSON {
    if (!this.fitted) throw new Error('random forest is not fitted');
    return {
      format: 'cotrans-random-forest',
      version: 1,
      options: { ...this.options },
      classes: [...this.classes],
      nFeatures: this.nFeatures,
      featureImportances: [...this.featureImportances],
      oobScore: this.oobScore,
      trees: this.trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold),
        left: Array.from(t.left),
        right: Array.from(t.right),
        value: Array.from(t.value),
      })),
    };
  }

  static fromJSON(json: RandomForestJSON): RandomForestClassifier {
    if (!json || json.format !== 'cotrans-random-forest') throw new Error('not a cotrans random forest (format field missing or different)');
    if (json.version !== 1) throw new Error(`random forest format version ${json.version} is not supported (this build reads version 1)`);
    const rf = new RandomForestClassifier(json.options);
    rf.classes = [...json.classes];
    rf.nFeatures = json.nFeatures;
    rf.featureImportances = [...json.featureImportances];
    rf.oobScore = json.oobScore;
    rf.trees = json.trees.map((t) => ({
      feature: Int32Array.from(t.feature),
      threshold: Float64Array.from(t.threshold),
      left: Int32Array.from(t.left),
      right: Int32Array.from(t.right),
      value: Float64Array.from(t.value),
    }));
    return rf;
  }
}

export function argmax(p: ArrayLike<number>): number {
  let b = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[b]) b = k;
  return b;
}

/**
 * Permutation importance: the mean drop in accuracy when one column is shuffled (nRepeats times),
 * on held-out data of the caller's choice; model-agnostic like scikit-learn's.
 */
export function permutationImportance(
  model: { predict(X: ArrayLike<number>[]): Label[] },
  X: ArrayLike<number>[],
  y: readonly Label[],
  opts: { nRepeats?: number; seed?: number } = {},
): { mean: number[]; std: number[]; baseline: number } {
  const nRepeats = opts.nRepeats ?? 5;
  const rand = mulberry32(opts.seed ?? 0);
  const acc = (Xs: ArrayLike<number>[]) => {
    const p = model.predict(Xs);
    let c = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) c++;
    return c / p.length;
  };
  const baseline = acc(X);
  const nF = X[0]?.length ?? 0;
  const rows = X.map((r) => Array.from(r));
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < nF; f++) {
    const orig = rows.map((r) => r[f]);
    const drops: number[] = [];
    for (let r = 0; r < nRepeats; r++) {
      const perm = [...orig];
      shuffle(perm, rand);
      rows.forEach((row, i) => (row[f] = perm[i]));
      drops.push(baseline - acc(rows));
    }
    rows.forEach((row, i) => (row[f] = orig[i]));
    const m = drops.reduce((a, b) => a + b, 0) / nRepeats;
    mean.push(m);
    std.push(Math.sqrt(drops.reduce((a, b) => a + (b - m) ** 2, 0) / nRepeats));
  }
  return { mean, std, baseline };
}
