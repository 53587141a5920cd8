// Domain alignment: each domain standardised with its own statistics (plain, or anchored on the
// private class with robust statistics), optionally CORAL (re-colouring the source's covariance to the
// target's), and the multi-kernel MMD that measures what is left.
import { columnStats, covariance, matMul, symPow, type Matrix } from './linalg.js';
import { mulberry32, shuffle } from '@cotrans/core';

export interface Standardisation {
  mean: number[];
  std: number[];
}

export function fitStandardisation(X: readonly ArrayLike<number>[]): Standardisation {
  const { mean, std } = columnStats(X);
  return { mean, std: std.map((s) => (s > 1e-12 ? s : 1)) };
}

const median = (v: number[]): number => {
  v.sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/**
 * The same standardisation with `columns` left in their own units (location 0, scale 1): a quantity
 * whose meaning does not depend on the city (hours of a shift, a count of shifts) keeps its value, so
 * a 4 h session is a 4 h session in both domains, whatever each domain's private cars drive.
 */
export function keepUnits(s: Standardisation, columns: readonly number[]): Standardisation {
  const mean = [...s.mean];
  const std = [...s.std];
  for (const c of columns) {
    mean[c] = 0;
    std[c] = 1;
  }
  return { mean, std };
}

/**
 * Robust location and scale per column: the median and 1.4826 x the median absolute deviation (the SD
 * of a normal sample), the SD where the MAD is 0, 1 where both are. NaN is skipped. With a 50%
 * breakdown point, a class holding under half the rows barely moves them.
 */
export function fitRobustStandardisation(X: readonly ArrayLike<number>[]): Standardisation {
  const nF = X[0]?.length ?? 0;
  const { std: sd } = columnStats(X);
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < nF; f++) {
    const v: number[] = [];
    for (const r of X) if (Number.isFinite(r[f])) v.push(r[f]);
    const m = v.length ? median(v) : 0;
    const mad = v.length ? 1.4826 * median(v.map((x) => Math.abs(x - m))) : 0;
    mean.push(m);
    std.push(mad > 1e-12 ? mad : sd[f] > 1e-12 ? sd[f] : 1);
  }
  return { mean, std };
}

/** z-scores; NaN stays NaN (the forest routes it, the MMD skips it). */
export function standardise(X: readonly ArrayLike<number>[], s: Standardisation): number[][] {
  return X.map((r) => Array.from(r, (v, f) => (v - s.mean[f]) / s.std[f]));
}

/** NaN -> 0 (the standardised mean), for the linear algebra. */
function filled(X: readonly number[][]): number[][] {
  return X.map((r) => r.map((v) => (Number.isFinite(v) ? v : 0)));
}

/**
 * CORAL (Sun et al. 2016) on standardised data: the transform that whitens the source covariance and
 * re-colours it with the target's, Cs^-1/2 Ct^1/2 (both regularised with +lambda I).
 */
export function coralTransform(sourceZ: readonly number[][], targetZ: readonly number[][], lambda = 1): Matrix {
  const d = sourceZ[0]?.length ?? 0;
  const reg = (C: Matrix) => C.map((r, i) => r.map((v, j) => v + (i === j ? lambda : 0)));
  const Cs = reg(covariance(filled(sourceZ as number[][])));
  const Ct = reg(covariance(filled(targetZ as number[][])));
  const T = matMul(symPow(Cs, -0.5), symPow(Ct, 0.5));
  if (T.length !== d) throw new Error('CORAL: dimension mismatch');
  return T;
}

export function applyLinear(X: readonly number[][], T: Matrix): number[][] {
  return X.map((r) => {
    const nanMask = r.map((v) => !Number.isFinite(v));
    const out = matMul([r.map((v) => (Number.isFinite(v) ? v : 0))], T)[0];
    // a missing value stays missing in its own column
    return out.map((v, j) => (nanMask[j] ? NaN : v));
  });
}

/**
 * Multi-kernel MMD^2 (biased V-statistic, >= 0) with a sum of RBF kernels at bandwidths
 * `scales` x the median pairwise distance of the pooled sample. Rows with NaN are dropped; each
 * domain is subsampled to `maxRows` (seeded) to keep it O(maxRows^2).
 */
export function mmd(X: readonly ArrayLike<number>[], Y: readonly ArrayLike<number>[], opts: { scales?: number[]; maxRows?: number; seed?: number } = {}): number {
  const scales = opts.scales ?? [0.25, 0.5, 1, 2, 4];
  const maxRows = opts.maxRows ?? 400;
  const rand = mulberry32(opts.seed ?? 1);
  const pick = (A: readonly ArrayLike<number>[]) => {
    const ok = A.filter((r) => Array.from(r).every(Number.isFinite)).map((r) => Array.from(r));
    if (ok.length <= maxRows) return ok;
    shuffle(ok, rand);
    return ok.slice(0, maxRows);
  };
  const a = pick(X);
  const b = pick(Y);
  if (!a.length || !b.length) return NaN;
  const d2 = (u: number[], v: number[]) => {
    let s = 0;
    for (let i = 0; i < u.length; i++) s += (u[i] - v[i]) ** 2;
    return s;
  };
  const pooled = [...a, ...b];
  const sample: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const u = pooled[Math.floor(rand() * pooled.length)];
    const v = pooled[Math.floor(rand() * pooled.length)];
    if (u !== v) sample.push(d2(u, v));
  }
  sample.sort((p, q) => p - q);
  const med = sample.length ? sample[Math.floor(sample.length / 2)] : 1;
  const gammas = scales.map((s) => 1 / (2 * Math.max(med, 1e-12) * s * s));
  const k = (u: number[], v: number[]) => {
    const dd = d2(u, v);
    let s = 0;
    for (const g of gammas) s += Math.exp(-g * dd);
    return s / gammas.length;
  };
  const meanK = (A: number[][], B: number[][]) => {
    let s = 0;
    for (const u of A) for (const v of B) s += k(u, v);
    return s / (A.length * B.length);
  };
  return Math.max(0, meanK(a, a) + meanK(b, b) - 2 * meanK(a, b));
}
