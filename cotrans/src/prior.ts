// Label shift: the shared share differs between fleets (the source is taxi-heavy, a target pool mostly
// private), so posteriors of a model trained on a balanced mix must be moved to the target's prior.
// The prior itself is estimated without labels by EM (Saerens, Latinne & Decaestecker 2002).

/** Moves a posterior computed under prior `from` to prior `to` (Bayes' rule on the odds). */
export function shiftPrior(p: number, to: number, from = 0.5): number {
  const a = (p * to) / from;
  const b = ((1 - p) * (1 - to)) / (1 - from);
  return a + b > 0 ? a / (a + b) : to;
}

/** EM estimate of the positive-class prior of unlabeled data from posteriors made under prior `from`. */
export function estimatePrior(p: readonly number[], from = 0.5, iters = 200): number {
  if (!p.length) return from;
  let pi = from;
  for (let it = 0; it < iters; it++) {
    let s = 0;
    for (const v of p) s += shiftPrior(v, pi, from);
    const next = Math.min(0.99, Math.max(0.01, s / p.length));
    if (Math.abs(next - pi) < 1e-6) return next;
    pi = next;
  }
  return pi;
}

/**
 * Prior from the shape of the scores: a two-component 1-D Gaussian mixture fitted by EM on the
 * logits of balanced posteriors; the weight of the upper component estimates the positive share.
 * Robust where the model ranks well but is miscalibrated across domains.
 */
export function mixturePrior(p: readonly number[], iters = 200): { prior: number; posterior: number[] } {
  const eps = 1e-4;
  const z = p.map((v) => Math.log((Math.min(1 - eps, Math.max(eps, v))) / (1 - Math.min(1 - eps, Math.max(eps, v)))));
  const n = z.length;
  if (n < 4) return { prior: 0.5, posterior: p.map((v) => v) };
  const sorted = [...z].sort((a, b) => a - b);
  let m0 = sorted[Math.floor(n * 0.25)];
  let m1 = sorted[Math.floor(n * 0.95)];
  const sd = Math.max(0.1, (sorted[n - 1] - sorted[0]) / 6);
  let s0 = sd;
  let s1 = sd;
  let w = 0.2;
  const r = new Float64Array(n);
  const dens = (x: number, m: number, s: number) => Math.exp(-0.5 * ((x - m) / s) ** 2) / s;
  for (let it = 0; it < iters; it++) {
    let sw = 0;
    for (let i = 0; i < n; i++) {
      const a = w * dens(z[i], m1, s1);
      const b = (1 - w) * dens(z[i], m0, s0);
      r[i] = a + b > 0 ? a / (a + b) : z[i] > (m0 + m1) / 2 ? 1 : 0;
      sw += r[i];
    }
    if (sw < 1e-9 || sw > n - 1e-9) break;
    let nm1 = 0;
    let nm0 = 0;
    for (let i = 0; i < n; i++) {
      nm1 += r[i] * z[i];
      nm0 += (1 - r[i]) * z[i];
    }
    nm1 /= sw;
    nm0 /= n - sw;
    let v1 = 0;
    let v0 = 0;
    for (let i = 0; i < n; i++) {
      v1 += r[i] * (z[i] - nm1) ** 2;
      v0 += (1 - r[i]) * (z[i] - nm0) ** 2;
    }
    const nw = sw / n;
    const done = Math.abs(nw - w) < 1e-7;
    m1 = nm1;
    m0 = nm0;
    s1 = Math.max(0.05, Math.sqrt(v1 / sw));
    s0 = Math.max(0.05, Math.sqrt(v0 / (n - sw)));
    w = nw;
    if (done) break;
  }
  // the upper component is the positive one
  if (m1 < m0) return { prior: 1 - w, posterior: Array.from(r, (v) => 1 - v) };
  return { prior: w, posterior: Array.from(r) };
}
