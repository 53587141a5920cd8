import { describe, expect, it } from 'vitest';
import { UserError } from '@cotrans/core';
import { seededSample } from '@cotrans/testkit';
import { agreementOf, classCount, combine, combinedLogit, decide, exchangeFor, flooredCut, guardedCut, logit, mulberry32, otsuCut, pick, pseudoAccuracy, roomIn, sigmoid, valleyEmphasisCut, type Decision } from '@cotrans/cotrans';

const sample = seededSample;

describe("Otsu's cut", () => {
  const betweenVariance = (z: number[], c: number) => {
    const a = z.filter((v) => v < c);
    const b = z.filter((v) => v >= c);
    const m = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    return (a.length / z.length) * (b.length / z.length) * (m(a) - m(b)) ** 2;
  };

  it('separates a large private group from a small shared one, between the two', () => {
    // the co-trained scores' shape: 1,800 private cars around -4, 160 shared piled near the clip, 40 in between
    const z = sample(7, [[1800, -4, 1], [160, 10, 1], [40, 3, 2]]);
    const c = otsuCut(z)!;
    expect(c).toBeGreaterThan(-1);
    expect(c).toBeLessThan(5);
    // it is the cut of greatest between-group variance: no other cut on a grid does better
    for (let t = -6; t <= 11; t += 0.25) expect(betweenVariance(z, t)).toBeLessThanOrEqual(betweenVariance(z, c) + 1e-9);
  });

  it('needs two distinct values', () => {
    expect(otsuCut([])).toBeNull();
    expect(otsuCut([2, 2, 2])).toBeNull();
    expect(otsuCut([0, 1])).toBe(0.5);
    expect(otsuCut([Number.NaN, 0, 1])).toBe(0.5);
  });
});

describe('combining the two views', () => {
  it('logit rule: P(shared) >= 1/2 exactly where the weighted log-odds reach the cut', () => {
    const rf = [0, 0.02, 0.3, 0.5, 0.97, 1];
    const cnn = [1e-9, 0.01, 0.2, 0.6, 0.99, 0.999];
    const d = { combine: 'logit' as const, rule: 'valley' as const, threshold: -2, clipRf: 0.005, clipCnn: 1e-5 };
    const z = combinedLogit(rf, cnn, 0.5, 0.005, 1e-5);
    const out = combine(rf, cnn, 0.5, d);
    out.pShared.forEach((p, i) => {
      expect(p >= 0.5).toBe(z[i] >= -2);
      expect(p).toBeCloseTo(sigmoid(z[i] + 2), 12);
    });
    // clipping: a forest's 0 is log-odds of 0.005, not -Infinity
    expect(z[0]).toBeCloseTo(0.5 * logit(0.005, 0) + 0.5 * logit(1e-5, 0), 9);
    // each model's column is cut at the same threshold
    expect(out.pRf[2]).toBeCloseTo(sigmoid(logit(0.3, 0.005) + 2), 12);
  });

  it('a stored former valley cut is repeated; a prior-shift decision of an older model is refused', () => {
    const valley = { combine: 'logit', rule: 'valley', threshold: -1, clipRf: 0.005, clipCnn: 1e-5 } as Decision;
    expect(combine([0.5], [0.5], 0.5, valley).pShared[0]).toBeCloseTo(sigmoid(1), 12);
    const old = { combine: 'probability', rule: 'stage1', prior: 0.2 } as unknown as Decision;
    expect(() => combine([0.5], [0.5], 0.5, old)).toThrow(UserError);
    expect(() => combine([0.5], [0.5], 0.5, old)).toThrow(/no longer supported: train the model again/);
  });

  it('decide: balanced cuts at 0; otsu at the guarded cut of the combined log-odds, clipped by the forest size', () => {
    const r = mulberry32(9);
    const rf = Array.from({ length: 400 }, (_, i) => (i < 40 ? 0.9 + 0.1 * r() : 0.1 * r()));
    const cnn = rf.map((p) => Math.min(1, Math.max(0, p + 0.05 * (r() - 0.5))));
    expect(decide('balanced', rf, cnn, 0.25, { maxAbove: Infinity }, 100)).toEqual({ combine: 'logit', rule: 'balanced', threshold: 0, clipRf: 0.005, clipCnn: 1e-5 });
    const d = decide('otsu', rf, cnn, 0.25, { maxAbove: Infinity }, 50);
    expect(d.clipRf).toBe(0.01);
    expect(d.threshold).toBe(guardedCut(combinedLogit(rf, cnn, 0.25, 0.01, 1e-5), 0, Infinity).threshold);
    expect(combine(rf, cnn, 0.25, d).pShared.filter((p) => p >= 0.5).length).toBe(40);
  });
});

describe('the exchange and the round diagnostics', () => {
  it('splits the quota by the prior with a least class share, and caps the shared members of a set', () => {
    const ex = exchangeFor({ perRound: 0.05, minClassShare: 0.3, sharedCap: 0.75, floor: 0.8 }, 1000, 0.1);
    expect(ex.quota).toEqual({ shared: 15, private: 35 });
    expect(ex.sharedCap).toBe(75);
    const set = new Map(Array.from({ length: 70 }, (_, i) => [i, true] as [number, boolean]));
    expect(roomIn(set, ex)).toEqual({ shared: 5, private: 35 });
    expect(exchangeFor({ perRound: 0.05, minClassShare: 0, sharedCap: Infinity, floor: 0.8 }, 1000, 0.1).sharedCap).toBe(Infinity);
  });

  it('picks the most confident untaken rows per class above the floor', () => {
    const p = [0.99, 0.95, 0.85, 0.7, 0.1, 0.02, 0.5];
    const out = pick(p, new Map([[0, true]]), { shared: 1, private: 5 }, 0.8);
    expect([...out]).toEqual([[1, true], [5, false], [4, false]]);
  });

  it("measures agreement, Cohen's kappa and pseudo-label accuracy", () => {
    expect(agreementOf([0.9, 0.1, 0.1, 0.1], [0.9, 0.1, 0.1, 0.1])).toEqual({ agreement: 1, kappa: 1 });
    const { agreement, kappa } = agreementOf([0.9, 0.9, 0.1, 0.1], [0.9, 0.1, 0.9, 0.1]);
    expect(agreement).toBe(0.5);
    expect(kappa).toBeCloseTo(0, 12);
    expect(classCount(new Map([[1, true], [2, false], [3, false]]))).toEqual({ shared: 1, private: 2 });
    expect(pseudoAccuracy(new Map([[0, true], [1, false]]), [true, true])).toBe(0.5);
    expect(pseudoAccuracy(new Map(), [true])).toBeNull();
  });
});

describe('valley-emphasis cut', () => {
  it('agrees with Otsu where the groups are clear, and leaves the private tail where the shared group is small', () => {
    const clear = sample(7, [[1800, -4, 1], [160, 10, 1], [40, 3, 2]]);
    const c = valleyEmphasisCut(clear, 0.5)!;
    expect(c).toBeGreaterThan(-1);
    expect(c).toBeLessThan(5);
    // the shape of the 4%-shared target's scores: a long private tail (heavy drivers) reaching into
    // 80 shared vehicles spread from 2 to the clip
    const priv = sample(18, [[1850, -3.5, 1.5], [70, 1.5, 1.5]]);
    const shared = sample(19, [[50, 5, 1.5], [30, 9.2, 0.2]]);
    const z = [...priv, ...shared];
    const errors = (t: number) => priv.filter((v) => v >= t).length + shared.filter((v) => v < t).length;
    const otsu = otsuCut(z)!;
    const ve = valleyEmphasisCut(z, 0.5)!;
    expect(ve).toBeGreaterThan(otsu);
    expect(errors(ve)).toBeLessThan(errors(otsu));
  });

  it('needs two distinct values', () => {
    expect(valleyEmphasisCut([], 0.5)).toBeNull();
    expect(valleyEmphasisCut([1, 1], 0.5)).toBeNull();
    expect(valleyEmphasisCut([0, 1], 0.5)).toBe(0.5);
  });
});

describe('guarded cut', () => {
  // values spread evenly inside unit bins: bin -> count
  const spread = (bins: Record<string, number>): number[] => Object.entries(bins).flatMap(([b, k]) => Array.from({ length: k }, (_, j) => Number(b) + (j + 0.5) / k));
  // the scores of a simulated 2%-shared target (pair 43 -> 61): a wide private mode and
  // 40 shared vehicles spread from the private tail to the clip
  const priv = spread({ '-7': 5, '-6': 120, '-5': 416, '-4': 602, '-3': 463, '-2': 235, '-1': 66, 0: 24, 1: 13, 2: 2, 3: 2, 4: 1 });
  const shared = spread({ '-2': 1, '-1': 1, 0: 3, 1: 4, 2: 1, 3: 7, 4: 6, 5: 1, 6: 5, 7: 3, 8: 4, 9: 4 });
  const z = [...priv, ...shared];
  const above = (t: number) => z.filter((v) => v >= t).length;
  const falseAlarms = (t: number) => priv.filter((v) => v >= t).length;

  it("cuts again above Otsu's cut when that cut lies inside the private mode", () => {
    const otsu = otsuCut(z)!;
    expect(above(otsu)).toBeGreaterThan(500); // Otsu splits the private mode: 500+ false alarms
    const g = guardedCut(z, 0, 3 * 40);
    expect(g.passes).toBe(2);
    expect(above(g.threshold!)).toBeLessThanOrEqual(120);
    expect(falseAlarms(g.threshold!)).toBeLessThan(10);
    expect(shared.filter((v) => v >= g.threshold!).length).toBeGreaterThanOrEqual(30);
  });

  it('keeps the first cut when it respects the bound, and can be switched off', () => {
    const clear = sample(7, [[1800, -4, 1], [160, 10, 1], [40, 3, 2]]);
    expect(guardedCut(clear, 0, 3 * 200)).toEqual({ threshold: otsuCut(clear), passes: 1 });
    expect(guardedCut(clear, 0.5, 3 * 200)).toEqual({ threshold: valleyEmphasisCut(clear, 0.5), passes: 1 });
    expect(guardedCut(z, 0, Infinity)).toEqual({ threshold: otsuCut(z), passes: 1 });
    expect(guardedCut(z, 0, 120, 1)).toEqual({ threshold: otsuCut(z), passes: 1 });
  });

  it('stops when the values above the cut hold no further cut', () => {
    expect(guardedCut([0, 1], 0, 0)).toEqual({ threshold: 0.5, passes: 1 });
    expect(guardedCut([], 0, 0)).toEqual({ threshold: null, passes: 1 });
  });
});

describe('floored cut', () => {
  // a real week's shape: certain cabs near the clip, a middle group of part-time drivers just under
  // Otsu's cut, private cars low
  const cabs = Array.from({ length: 8 }, (_, i) => 9 + 0.1 * i);
  const middle = Array.from({ length: 8 }, (_, i) => -0.5 + 0.1 * i);
  const priv = Array.from({ length: 20 }, (_, i) => -9 + 0.2 * i);
  const z = [...cabs, ...middle, ...priv];
  const above = (t: number) => z.filter((v) => v >= t).length;

  it("moves a cut that leaves fewer than the floor's vehicles above it down the ranking, to exactly that many", () => {
    const otsu = otsuCut(z)!;
    expect(above(otsu)).toBe(8); // Otsu splits the cabs off alone
    const t = flooredCut(z, otsu, 0.75 * 20); // stage 1 expects 20 shared: at least 15 above
    expect(above(t)).toBe(15);
    expect(t).toBeLessThan(otsu);
    expect(priv.filter((v) => v >= t)).toEqual([]);
  });

  it('keeps a cut that already puts enough above it, and a floor of 0', () => {
    expect(flooredCut(z, 0, 5)).toBe(0);
    expect(flooredCut(z, 5, 0)).toBe(5);
    expect(flooredCut([], 1, 3)).toBe(1);
    // a floor beyond the target puts every vehicle above the cut
    expect(above(flooredCut(z, 5, 1000))).toBe(z.length);
  });

  it('decide floors an Otsu cut and says so', () => {
    const rf = z.map((v) => sigmoid(v));
    const d = decide('otsu', rf, rf, 0.25, { maxAbove: Infinity, minAbove: 15 }, 100);
    expect(d.floored).toBe(true);
    expect(combine(rf, rf, 0.25, d).pShared.filter((p) => p >= 0.5).length).toBe(15);
    const plain = decide('otsu', rf, rf, 0.25, { maxAbove: Infinity }, 100);
    expect(plain.floored).toBeUndefined();
    expect(combine(rf, rf, 0.25, plain).pShared.filter((p) => p >= 0.5).length).toBe(8);
  });
});
