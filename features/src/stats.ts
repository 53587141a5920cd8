// Small summaries of daily values.

export function mean(v: ArrayLike<number>): number {
  if (v.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/**
 * Entropy as scipy.stats.entropy computes it: normalise the values to sum 1, natural log,
 * 0*log(0) = 0. Where scipy would return NaN (all values 0) this returns 0: no spread.
 */
export function entropy(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  if (!(s > 0)) return 0;
  let h = 0;
  for (let i = 0; i < v.length; i++) {
    const p = v[i] / s;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** Quantile of a weighted histogram with fixed bin width, linear within the bin. */
export function histQuantile(hist: ArrayLike<number>, binWidth: number, q: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i];
  if (!(total > 0)) return 0;
  const target = q * total;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    const w = hist[i];
    if (w > 0 && acc + w >= target) return (i + (target - acc) / w) * binWidth;
    acc += w;
  }
  return hist.length * binWidth;
}
