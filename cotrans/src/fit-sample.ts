// Which of a training set's rows one fit sees when the set outgrows a cap: a seeded sample that keeps
// each class's share of the set. Below the cap every row, in its order, so small fleets train exactly
// as without a cap.
import { mulberry32, shuffle } from '@cotrans/core';

/**
 * Row indices of `labels` (0/1) to fit on: all of them, in order, when there are at most `cap`;
 * otherwise `cap` rows drawn per class in proportion to the class's count (each class present keeps
 * at least one row), returned in ascending order.
 */
export function stratifiedSample(labels: readonly number[], cap: number, seed: number): number[] {
  const n = labels.length;
  if (!(cap >= 1)) throw new RangeError(`cap: ${cap} is not at least 1`);
  if (n <= cap) return labels.map((_, i) => i);
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    let rows = byClass.get(y);
    if (!rows) byClass.set(y, (rows = []));
    rows.push(i);
  });
  const rand = mulberry32(seed);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const take = classes.map((y) => Math.min(byClass.get(y)!.length, Math.max(1, Math.round((cap * byClass.get(y)!.length) / n))));
  // rounding may miss the cap by a row or two: the largest class (with room, when adding) makes it up
  const room = (k: number) => byClass.get(classes[k])!.length - take[k];
  const largest = (ok: (k: number) => boolean) => take.reduce((best, t, k) => (ok(k) && (best < 0 || t > take[best]) ? k : best), -1);
  let diff = Math.floor(cap) - take.reduce((a, t) => a + t, 0);
  for (; diff > 0; diff--) take[largest((k) => room(k) > 0)]++;
  for (; diff < 0; diff++) take[largest(() => true)]--;
  const out: number[] = [];
  classes.forEach((y, k) => {
    const rows = byClass.get(y)!;
    shuffle(rows, rand);
    out.push(...rows.slice(0, take[k]));
  });
  return out.sort((a, b) => a - b);
}
