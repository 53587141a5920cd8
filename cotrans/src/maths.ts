// Log-odds and back: the one definition the decision, the bag and the tests share.

/** log-odds of p, with p clipped to [eps, 1 - eps] (a forest's 0 or 1 vote share is not infinite evidence). */
export function logit(p: number, eps: number): number {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return Math.log(q / (1 - q));
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
