// What the cleaning of a vehicle's fixes did with them, counted by reason.

export interface CleaningCounts {
  /** Fixes offered to the window. */
  input: number;
  /** Non-finite time or coordinates. */
  invalid: number;
  /** Arrived after the watermark had passed them (more than latenessMs out of order). */
  late: number;
  exactDuplicates: number;
  nearDuplicates: number;
  /** Impossible jumps (spikes) removed. */
  jumps: number;
  /** Intervals longer than maxGapS: no distance or driving time counted across them. */
  gaps: number;
  /** Kept fixes whose day later slid out of the window. */
  outOfWindow: number;
  /** Fixes that passed cleaning (including those that later slid out). */
  kept: number;
}

export function emptyCounts(): CleaningCounts {
  return { input: 0, invalid: 0, late: 0, exactDuplicates: 0, nearDuplicates: 0, jumps: 0, gaps: 0, outOfWindow: 0, kept: 0 };
}

export function addCounts(a: CleaningCounts, b: CleaningCounts): CleaningCounts {
  for (const k of Object.keys(a) as (keyof CleaningCounts)[]) a[k] += b[k];
  return a;
}
