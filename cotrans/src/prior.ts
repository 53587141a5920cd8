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
export interface ScoreMixture {
  /** Weight of the upper component: the estimated positive share. */
  prior: number;
  /** Per sample, the upper component's posterior. */
  posterior: number[];
  /** Logit of the equal-posterior point between the components (the mixture's cut point). */
  threshold: number;
  components: { low: Component; high: Component };
}

export function mixturePrior(p: readonly number[], iters = 200): ScoreMixture {
  const eps = 1e-4;
  const z = p.map((v) => Math.log((Math.min(1 - eps, Math.max(eps, v))) / (1 - Math.min(1 - eps, Math.max(eps, v)))));
  const n = z.length;
  if (n < 4) return { prior: 0.5, posterior: p.map((v) => v), threshold: 0, components: { low: { m: 0, s: 1, w: 0.5 }, high: { m: 0, s: 1, w: 0.5 } } };
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
  const flip = m1 < m0;
  const hi = flip ? { m: m0, s: s0, w: 1 - w } : { m: m1, s: s1, w };
  const lo = flip ? { m: m1, s: s1, w } : { m: m0, s: s0, w: 1 - w };
  return {
    prior: hi.w,
    posterior: Array.from(r, (v) => (flip ? 1 - v : v)),
    threshold: equalPosterior(lo, hi),
    components: { low: lo, high: hi },
  };
}

interface Component {
  m: number;
  s: number;
  w: number;
}

/** Logit where the two weighted Gaussians are equal, taken between their means (midpoint if none is). */
function equalPosterior(lo: Component, hi: Component): number {
  // log(w_h) - log(s_h) - (z-m_h)^2/2s_h^2 = log(w_l) - log(s_l) - (z-m_l)^2/2s_l^2  ->  a z^2 + b z + c = 0
  const a = 1 / (2 * lo.s ** 2) - 1 / (2 * hi.s ** 2);
  const b = hi.m / hi.s ** 2 - lo.m / lo.s ** 2;
  const c = lo.m ** 2 / (2 * lo.s ** 2) - hi.m ** 2 / (2 * hi.s ** 2) + Math.log((hi.w * lo.s) / (lo.w * hi.s));
  const inside = (z: number) => Number.isFinite(z) && z >= lo.m && z <= hi.m;
  if (Math.abs(a) < 1e-12) {
    const z = -c / b;
    return inside(z) ? z : (lo.m + hi.m) / 2;
  }
  const d = b * b - 4 * a * c;
  if (d >= 0) {
    for (const z of [(-b + Math.sqrt(d)) / (2 * a), (-b - Math.sqrt(d)) / (2 * a)]) if (inside(z)) return z;
  }
  return (lo.m + hi.m) / 2;
}
