// What a co-training round reports about its two models: held-out Brier scores, their agreement
// (raw and Cohen's kappa), and with evaluation truth the accuracy of the pseudo-labels.
import type { RandomForestClassifier } from './rf/forest.js';

export interface ClassCount {
  shared: number;
  private: number;
}

/** Shared and private members of a training set (row -> shared?). */
export function classCount(set: ReadonlyMap<number, boolean>): ClassCount {
  let shared = 0;
  for (const v of set.values()) if (v) shared++;
  return { shared, private: set.size - shared };
}

/**
 * Out-of-bag Brier score of a forest's P(shared) on its first training rows: `isShared(r)` is the
 * label row r was trained on. NaN when the forest kept no out-of-bag estimate or none is defined.
 */
export function oobBrier(rf: RandomForestClassifier, rows: number, isShared: (r: number) => boolean): number {
  const oob = rf.oobDecisionFunction;
  if (!oob) return NaN;
  const k = rf.classes.indexOf('shared');
  let sum = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (Number.isNaN(oob[r][k])) continue;
    sum += (oob[r][k] - (isShared(r) ? 1 : 0)) ** 2;
    count++;
  }
  return count ? sum / count : NaN;
}

/** Share of rows both models label alike (P >= 1/2), and Cohen's kappa: agreement beyond chance, as raw agreement is trivially high with a rare class. */
export function agreementOf(pA: readonly number[], pB: readonly number[]): { agreement: number; kappa: number } {
  const n = pA.length;
  let sharedA = 0;
  let sharedB = 0;
  let same = 0;
  for (let i = 0; i < n; i++) {
    const a = pA[i] >= 0.5;
    const b = pB[i] >= 0.5;
    if (a) sharedA++;
    if (b) sharedB++;
    if (a === b) same++;
  }
  const agreement = same / n;
  const chance = (sharedA / n) * (sharedB / n) + (1 - sharedA / n) * (1 - sharedB / n);
  return { agreement, kappa: chance < 1 ? (agreement - chance) / (1 - chance) : 1 };
}

/** Share of a pseudo-labelled set whose labels match `truth`; null for an empty set or without truth. */
export function pseudoAccuracy(set: ReadonlyMap<number, boolean>, truth: readonly boolean[] | undefined): number | null {
  if (!truth || set.size === 0) return null;
  let hits = 0;
  for (const [i, v] of set) if (truth[i] === v) hits++;
  return hits / set.size;
}
