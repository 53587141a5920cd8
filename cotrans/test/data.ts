import { gaussian, mulberry32 } from '@cotrans/core';

/** Two Gaussian classes whose means differ by `sep` in the first `informative` features. */
export function blobs(n: number, nF: number, opts: { sep?: number; informative?: number; seed?: number; flip?: number } = {}) {
  const rand = mulberry32(opts.seed ?? 1);
  const sep = opts.sep ?? 2;
  const inf = opts.informative ?? 2;
  const X: number[][] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = rand() < 0.5 ? 1 : 0;
    const row: number[] = [];
    for (let f = 0; f < nF; f++) row.push(gaussian(rand) + (f < inf && c ? sep : 0));
    X.push(row);
    const label = opts.flip && rand() < opts.flip ? 1 - c : c;
    y.push(label ? 'shared' : 'private');
  }
  return { X, y };
}
