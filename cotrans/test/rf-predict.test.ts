import { describe, expect, it } from 'vitest';
import { RandomForestClassifier, type RandomForestJSON } from '@cotrans/cotrans';
import { leafOf } from '../src/rf/tree.js';
import { compileForest } from '../src/rf/compiled.js';
import { mulberry32, gaussian } from '@cotrans/core';
import { blobs } from './data.js';

/** The plain definition: per row, the trees' leaf distributions summed in forest order, over T. */
function reference(rf: RandomForestClassifier, X: ArrayLike<number>[]): Float64Array {
  const K = rf.classes.length;
  const out = new Float64Array(X.length * K);
  X.forEach((x, i) => {
    for (const t of rf.trees) {
      const leaf = leafOf(t, x);
      for (let k = 0; k < K; k++) out[i * K + k] += t.value[leaf * K + k];
    }
    for (let k = 0; k < K; k++) out[i * K + k] /= rf.trees.length;
  });
  return out;
}

/** Bit-level equality (toEqual would call -0 and 0 equal). */
function expectSameBits(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  let diff = -1;
  for (let j = 0; j < ua.length && diff < 0; j++) if (ua[j] !== ub[j]) diff = j >> 1;
  expect(diff, diff >= 0 ? `value ${diff}: ${a[diff]} vs ${b[diff]}` : '').toBe(-1);
}

/** Rows that hit thresholds exactly, sit between them, are NaN, +-0 or +-Infinity. */
function awkwardRows(rf: RandomForestClassifier, n: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  const thr: number[][] = Array.from({ length: rf.nFeatures }, () => []);
  for (const t of rf.trees) for (let i = 0; i < t.feature.length; i++) if (t.feature[i] >= 0) thr[t.feature[i]].push(t.threshold[i]);
  const special = [NaN, 0, -0, Infinity, -Infinity];
  return Array.from({ length: n }, () =>
    thr.map((ts) => {
      const r = rand();
      if (r < 0.05) return special[Math.floor(rand() * special.length)];
      if (r < 0.4 && ts.length) return ts[Math.floor(rand() * ts.length)];
      if (r < 0.6 && ts.length) return ts[Math.floor(rand() * ts.length)] + (rand() - 0.5) * 1e-9;
      return gaussian(rand) * 2;
    }),
  );
}

describe('compiled prediction (coded rows, flat trees)', () => {
  it('gives bit-identical probabilities to the plain walk: two classes, exact thresholds, NaN, -0, infinities', async () => {
    const { X, y } = blobs(1200, 7, { seed: 11, flip: 0.1 });
    const rf = await new RandomForestClassifier({ nEstimators: 9, seed: 2, nJobs: 1 }).fit(X, y);
    const rows = [...X.slice(0, 300), ...awkwardRows(rf, 700, 3)];
    expectSameBits(rf.predictProbaFlat(rows), reference(rf, rows));
    // Float64Array rows as well as number[] rows; fewer rows than the eight walking lanes
    const typed = rows.slice(0, 5).map((r) => Float64Array.from(r));
    expectSameBits(rf.predictProbaFlat(typed), reference(rf, typed));
    expect(rf.predictProbaFlat([]).length).toBe(0);
  });

  it('three classes, class weights, shallow and one-leaf trees', async () => {
    const rand = mulberry32(5);
    const X = Array.from({ length: 900 }, () => [gaussian(rand), gaussian(rand), Math.floor(rand() * 4)]);
    const y = X.map((r) => (r[0] + 0.5 * r[2] > 1.5 ? 'c' : r[1] > 0 ? 'b' : 'a'));
    const rf = await new RandomForestClassifier({ nEstimators: 7, seed: 4, classWeight: 'balanced', minSamplesLeaf: 3, nJobs: 1 }).fit(X, y);
    const rows = [...X.slice(0, 200), ...awkwardRows(rf, 200, 6)];
    expectSameBits(rf.predictProbaFlat(rows), reference(rf, rows));
    // a forest whose trees include a lone leaf (constant labels in a bootstrap) and depth-1 stumps
    const stump = await new RandomForestClassifier({ nEstimators: 6, seed: 1, maxDepth: 1, nJobs: 1 }).fit(X, y);
    const json = stump.toJSON();
    json.trees[2] = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.25, 0.5, 0.25] };
    const withLeaf = RandomForestClassifier.fromJSON(json);
    expectSameBits(withLeaf.predictProbaFlat(rows), reference(withLeaf, rows));
  });

  it('loads a hand-written version-1 model (right child listed first, a -0 threshold, > 255 cuts on a feature) and predicts as the plain walk', () => {
    // Tree 0 cuts feature 0 at 400 distinct places (codes need two bytes); tree 1 lists its right
    // child before its left one.
    const nCuts = 400;
    const feature: number[] = [];
    const threshold: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const value: number[] = [];
    // a right-leaning chain: node 2j splits at cut j, left child a leaf, right child the next split
    for (let j = 0; j < nCuts; j++) {
      const at = feature.length;
      feature.push(0, -1);
      threshold.push(j / 7 - 20, 0);
      left.push(at + 1, -1);
      right.push(at + 2, -1);
      value.push(0, 0, j % 3 === 0 ? 1 : 0.3, j % 3 === 0 ? 0 : 0.7);
    }
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(1, 0);
    const json = {
      format: 'cotrans-random-forest',
      version: 1,
      options: { nEstimators: 2, criterion: 'gini', maxDepth: null, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 'sqrt', bootstrap: true, oobScore: false, classWeight: null, maxBins: 256, seed: 0, nJobs: 1 },
      classes: ['private', 'shared'],
      nFeatures: 2,
      featureImportances: [0.5, 0.5],
      oobScore: null,
      trees: [
        { feature, threshold, left, right, value },
        { feature: [1, -1, 0, -1, -1], threshold: [0.5, 0, -0, 0, 0], left: [2, -1, 3, -1, -1], right: [1, -1, 4, -1, -1], value: [0.5, 0.5, 0.6, 0.4, 0.5, 0.5, 0.2, 0.8, 0.9, 0.1] },
      ],
    } as unknown as RandomForestJSON;
    const rf = RandomForestClassifier.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(compileForest(rf.trees, rf.nFeatures, 2)?.narrow).toBe(false);
    const rand = mulberry32(8);
    const rows = Array.from({ length: 2000 }, (_, i) => {
      if (i < nCuts) return [i / 7 - 20, i % 2 ? 0.5 : 0.6];
      if (i < 2 * nCuts) return [(i - nCuts) / 7 - 20 + 1e-12, i % 3 ? -0 : 0];
      return [i % 50 === 0 ? NaN : (rand() - 0.5) * 140, rand()];
    });
    expectSameBits(rf.predictProbaFlat(rows), reference(rf, rows));
    expect(JSON.stringify(rf.toJSON())).toBe(JSON.stringify(JSON.parse(JSON.stringify(json))));
  });

  it('follows the trees when they are replaced after fitting, and a JSON round trip predicts the same bits', async () => {
    const { X, y } = blobs(600, 5, { seed: 3 });
    const a = await new RandomForestClassifier({ nEstimators: 5, seed: 1, nJobs: 1 }).fit(X, y);
    const b = await new RandomForestClassifier({ nEstimators: 5, seed: 2, nJobs: 1 }).fit(X, y);
    const before = a.predictProbaFlat(X);
    a.trees = b.trees;
    expectSameBits(a.predictProbaFlat(X), b.predictProbaFlat(X));
    const back = RandomForestClassifier.fromJSON(JSON.parse(JSON.stringify(b)));
    expectSameBits(back.predictProbaFlat(X), b.predictProbaFlat(X));
    expect(Array.from(before)).not.toEqual(Array.from(b.predictProbaFlat(X)));
    // a NaN threshold (possible only in memory: JSON has no NaN) sends every row left, as x > NaN is false
    const t0 = b.trees[0];
    a.trees = [{ ...t0, threshold: Float64Array.from(t0.threshold, (v, i) => (i === 0 ? NaN : v)) }, ...b.trees.slice(1)];
    expectSameBits(a.predictProbaFlat(X), reference(a, X));
  });
});
