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
