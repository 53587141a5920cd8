import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RandomForestClassifier, permutationImportance, computeEdges, binOf } from '@cotrans/cotrans';
import { blobs } from './data.js';

describe('binning', () => {
  it('keeps every distinct value apart when there are few, and cuts quantiles otherwise', () => {
    const e = computeEdges(Float64Array.from([3, 1, 2, 2, 1]), 256);
    expect(Array.from(e)).toEqual([1.5, 2.5]);
    expect([1, 2, 3, NaN].map((v) => binOf(e, v))).toEqual([0, 1, 2, 0]);
    const many = Float64Array.from({ length: 10000 }, (_, i) => i);
    const q = computeEdges(many, 16);
    expect(q.length).toBe(15);
    const counts = new Array(16).fill(0);
    for (const v of many) counts[binOf(q, v)]++;
    for (const c of counts) expect(Math.abs(c - 625)).toBeLessThanOrEqual(1);
  });
});

describe('RandomForestClassifier', () => {
  it('separates a separable problem perfectly, with gini and with entropy', async () => {
    // class = x0 > 0.3 (axis-aligned); x1 noise
    const X = Array.from({ length: 400 }, (_, i) => [((i * 7919) % 400) / 400, ((i * 104729) % 97) / 97]);
    const y = X.map((r) => (r[0] > 0.3 ? 'a' : 'b'));
    for (const criterion of ['gini', 'entropy'] as const) {
      const rf = await new RandomForestClassifier({ nEstimators: 10, criterion, seed: 3, nJobs: 1 }).fit(X, y);
      expect(rf.score(X, y)).toBe(1);
      expect(rf.predict([[0.9, 0.5], [0.1, 0.5]])).toEqual(['a', 'b']);
      expect(rf.featureImportances[0]).toBeGreaterThan(0.9);
    }
  });

  it('on a noisy problem approaches the Bayes rate and reports a sane OOB score', async () => {
    // Two unit Gaussians 2 SD apart in 2 of 10 features: Bayes accuracy = Phi(sqrt(2)) ~ 0.921.
    const train = blobs(3000, 10, { seed: 1 });
    const test = blobs(2000, 10, { seed: 2 });
    const rf = await new RandomForestClassifier({ nEstimators: 60, seed: 1, oobScore: true, minSamplesLeaf: 3, nJobs: 1 }).fit(train.X, train.y);
    const acc = rf.score(test.X, test.y);
    expect(acc).toBeGreaterThan(0.88);
    expect(acc).toBeLessThan(0.94);
    expect(Math.abs(rf.oobScore! - acc)).toBeLessThan(0.03);
    const top = rf.featureImportances.map((v, f) => [v, f]).sort((a, b) => b[0] - a[0]).slice(0, 2).map((p) => p[1]);
    expect(top.sort()).toEqual([0, 1]);
    const perm = permutationImportance(rf, test.X.slice(0, 500), test.y.slice(0, 500), { nRepeats: 3, seed: 1 });
    expect(perm.mean[0]).toBeGreaterThan(0.05);
    expect(Math.max(...perm.mean.slice(2))).toBeLessThan(0.03);
    const proba = rf.predictProba(test.X.slice(0, 5));
    for (const p of proba) expect(p[0] + p[1]).toBeCloseTo(1, 12);
  });

  it('balanced class weights raise minority recall', async () => {
    const { X, y } = blobs(3000, 6, { seed: 4, sep: 1.2 });
    // keep 10% of the shared class
    const keep = y.map((l, i) => l === 'private' || i % 10 === 0);
    const Xi = X.filter((_, i) => keep[i]);
    const yi = y.filter((_, i) => keep[i]);
    const test = blobs(2000, 6, { seed: 5, sep: 1.2 });
    const recall = (rf: RandomForestClassifier) => {
      const p = rf.predict(test.X);
      let tp = 0, pos = 0;
      test.y.forEach((l, i) => { if (l === 'shared') { pos++; if (p[i] === 'shared') tp++; } });
      return tp / pos;
    };
    const plain = await new RandomForestClassifier({ nEstimators: 40, seed: 2, minSamplesLeaf: 20, nJobs: 1 }).fit(Xi, yi);
    const bal = await new RandomForestClassifier({ nEstimators: 40, seed: 2, minSamplesLeaf: 20, classWeight: 'balanced', nJobs: 1 }).fit(Xi, yi);
    expect(recall(bal)).toBeGreaterThan(recall(plain) + 0.1);
  });

  it('is deterministic by seed, differs across seeds, respects maxDepth, and round-trips JSON exactly', async () => {
    const { X, y } = blobs(800, 8, { seed: 7, flip: 0.1 });
    const a = await new RandomForestClassifier({ nEstimators: 15, seed: 42, nJobs: 1 }).fit(X, y);
    const b = await new RandomForestClassifier({ nEstimators: 15, seed: 42, nJobs: 1 }).fit(X, y);
    const c = await new RandomForestClassifier({ nEstimators: 15, seed: 43, nJobs: 1 }).fit(X, y);
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(c.toJSON()).not.toEqual(a.toJSON());
    const json = JSON.parse(JSON.stringify(a));
    const back = RandomForestClassifier.fromJSON(json);
    expect(JSON.stringify(back)).toBe(JSON.stringify(a));
    expect(back.predictProba(X)).toEqual(a.predictProba(X));
    const shallow = await new RandomForestClassifier({ nEstimators: 5, seed: 1, maxDepth: 2, bootstrap: false, nJobs: 1 }).fit(X, y);
    for (const t of shallow.trees) expect(t.feature.length).toBeLessThanOrEqual(7);
    expect(() => RandomForestClassifier.fromJSON({ ...json, version: 9 })).toThrow(/version 9/);
  });

  it('rejects bad input with messages naming the problem', async () => {
    await expect(new RandomForestClassifier().fit([], [])).rejects.toThrow(/zero rows/);
    await expect(new RandomForestClassifier().fit([[1], [2]], ['a'])).rejects.toThrow(/2 rows but y has 1/);
    const rf = await new RandomForestClassifier({ nEstimators: 2, nJobs: 1 }).fit([[1, 2], [2, 3]], ['a', 'b']);
    expect(() => rf.predict([[1]])).toThrow(/1 features/);
  });

  const distWorker = fileURLToPath(new URL('../dist/rf/worker.js', import.meta.url));
  it.skipIf(!existsSync(distWorker))('grows the same forest on worker threads as in-thread (built worker)', async () => {
    const { X, y } = blobs(1500, 6, { seed: 9, flip: 0.05 });
    const opts = { nEstimators: 12, seed: 5, oobScore: true };
    const inThread = await new RandomForestClassifier({ ...opts, nJobs: 1 }).fit(X, y);
    let progress = 0;
    const parallel = await new RandomForestClassifier({ ...opts, nJobs: 2 }).fit(X, y, {
      workerScript: { url: new URL('../dist/rf/worker.js', import.meta.url), execArgv: [] },
      onProgress: (d) => (progress = d),
    });
    expect(progress).toBe(12);
    const { options: _o1, ...p } = parallel.toJSON();
    const { options: _o2, ...s } = inThread.toJSON();
    expect(p).toEqual(s);
  });
});
