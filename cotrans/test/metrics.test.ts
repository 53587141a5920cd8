import { describe, expect, it } from 'vitest';
import { binaryReport, confidenceCurve, perStratumRecall, rocAuc, rocCurve, estimatePrior, shiftPrior, mmd, coralTransform, applyLinear, fitStandardisation, standardise, gaussian, mulberry32 } from '@cotrans/cotrans';
import { covariance } from '../src/linalg.js';

describe('metrics', () => {
  it('computes the confusion-based scores of shared', () => {
    const truth = [true, true, true, false, false, false, false, false];
    const pred = [true, true, false, true, false, false, false, false];
    const r = binaryReport(truth, pred);
    expect(r.confusion).toEqual({ tp: 2, fp: 1, tn: 4, fn: 1 });
    expect(r.accuracy).toBe(6 / 8);
    expect(r.precision).toBeCloseTo(2 / 3);
    expect(r.recall).toBeCloseTo(2 / 3);
    expect(r.f1).toBeCloseTo(2 / 3);
    expect(Number.isNaN(r.rocAuc)).toBe(true);
  });

  it('ROC AUC: 1 for a perfect ranking, 0.5 for ties, and the Mann-Whitney value otherwise', () => {
    expect(rocAuc([false, false, true, true], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([false, true, false, true], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // pairs (pos, neg): (0.4 vs 0.1 win, 0.4 vs 0.6 loss, 0.9 vs both win) = 3/4
    expect(rocAuc([false, true, false, true], [0.1, 0.4, 0.6, 0.9])).toBe(0.75);
    const c = rocCurve([false, true, false, true], [0.1, 0.4, 0.6, 0.9]);
    expect(c[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(c[c.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
  });

  it('per-stratum recall and the confidence curve', () => {
    const ps = perStratumRecall([true, true, false, false], [true, false, false, true], ['taxi', 'taxi', 'private', 'private']);
    expect(ps.taxi).toEqual({ n: 2, recall: 0.5, truth: 'shared' });
    expect(ps.private).toEqual({ n: 2, recall: 0.5, truth: 'private' });
    const cc = confidenceCurve([true, false, true, false], [0.99, 0.01, 0.4, 0.6], 2);
    expect(cc[0]).toMatchObject({ fraction: 0.5, accuracy: 1 });
    expect(cc[1]).toMatchObject({ fraction: 1, accuracy: 0.5 });
  });
});

describe('alignment and label shift', () => {
  const rand = mulberry32(3);
  const sample = (n: number, shift: number, scale = 1) => Array.from({ length: n }, () => [gaussian(rand) * scale + shift, gaussian(rand) + 0.5 * shift]);

  it('MMD is near 0 for one distribution and grows with the shift', () => {
    const a = sample(300, 0);
    const b = sample(300, 0);
    const c = sample(300, 0.5);
    const d = sample(300, 2);
    const same = mmd(a, b);
    expect(same).toBeLessThan(0.01);
    expect(mmd(a, c)).toBeGreaterThan(same);
    expect(mmd(a, d)).toBeGreaterThan(mmd(a, c));
  });

  it('per-domain standardisation and CORAL reduce the domain distance; CORAL matches covariances', () => {
    const s = sample(400, 0);
    const t = sample(400, 3, 2.5).map((r) => [r[0], r[0] * 0.8 + r[1]]);
    const zs = standardise(s, fitStandardisation(s));
    const zt = standardise(t, fitStandardisation(t));
    expect(mmd(zs, zt)).toBeLessThan(mmd(s, t));
    const T = coralTransform(zs, zt, 1e-6);
    const aligned = applyLinear(zs, T);
    const cs = covariance(aligned);
    const ct = covariance(zt);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(cs[i][j]).toBeCloseTo(ct[i][j], 1);
    expect(mmd(aligned, zt)).toBeLessThan(mmd(zs, zt) + 1e-3);
  });

  it('EM recovers the prior of unlabeled data from balanced, calibrated posteriors', () => {
    // class 1 ~ N(2,1), class 0 ~ N(0,1); the balanced posterior is a logistic in x
    for (const truePi of [0.08, 0.3]) {
      const p: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const x = gaussian(rand) + (rand() < truePi ? 2 : 0);
        p.push(1 / (1 + Math.exp(-(2 * x - 2))));
      }
      expect(Math.abs(estimatePrior(p) - truePi)).toBeLessThan(0.02);
    }
    expect(shiftPrior(0.5, 0.1)).toBeCloseTo(0.1);
    expect(shiftPrior(0.9, 0.5)).toBeCloseTo(0.9);
  });
});
