// Labelled target vehicles (e.g. reviewers' verdicts) as co-training seeds: each one's label
// replaces what stage 1 guessed for it, with full confidence, so both models start from it and
// it stays labelled through every round.
import type { LabelRow } from './io.js';
import type { Seed } from './stage1.js';

export interface TargetLabelUse {
  /** Labels given. */
  given: number;
  /** Labels that became seeds (their vehicle is in the usable target). */
  used: number;
  /** Of those, shared. */
  shared: number;
  /** Stage-1 seeds whose label a given label turned round. */
  overturned: number;
  /** Given labels naming no usable target vehicle (absent or flagged). */
  unmatched: number;
}

/** Stage 1's seeds with the given target labels put in (one seed per vehicle, the given label winning). */
export function seedsWithTargetLabels(seeds: readonly Seed[], targetIds: readonly string[], labels: readonly LabelRow[]): { seeds: Seed[]; use: TargetLabelUse } {
  const row = new Map(targetIds.map((id, i) => [id, i]));
  const given = new Map<number, boolean>();
  let unmatched = 0;
  for (const l of labels) {
    const i = row.get(l.vehicleId);
    if (i === undefined) unmatched++;
    else given.set(i, l.shared);
  }
  let overturned = 0;
  const out: Seed[] = [];
  for (const s of seeds) {
    const g = given.get(s.index);
    if (g === undefined) out.push(s);
    else if (g !== s.shared) overturned++;
  }
  let shared = 0;
  for (const [index, isShared] of given) {
    out.push({ index, shared: isShared, confidence: 1 });
    if (isShared) shared++;
  }
  return { seeds: out, use: { given: labels.length, used: given.size, shared, overturned, unmatched } };
}
