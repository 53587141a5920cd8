// The one summary every reading command prints after a read, and the same counts for its JSON log
// line: lines read, points kept, lines skipped by reason, and a few samples as file:line: reason.
import { UserError, excerpt } from '@cotrans/core';
import type { ReadSummary } from './read-points.js';

/** Samples a command prints by default (the reader keeps up to its maxSamples). */
export const SUMMARY_SAMPLES = 5;

const reasonsText = (s: ReadSummary): string => {
  const top = Object.entries(s.byReason).sort((a, b) => b[1] - a[1]);
  if (!top.length) return '';
  const shown = top.slice(0, 3).map(([r, n]) => `${n}× ${r}`).join('; ');
  return ` (${shown}${top.length > 3 ? `; ${top.length - 3} more reason(s)` : ''})`;
};

/** "read 1204 line(s) of 1 file(s): kept 1200 point(s), skipped 3 bad line(s) (...)", then samples. */
export function summaryLines(s: ReadSummary, samples = SUMMARY_SAMPLES): string[] {
  const head = `read ${s.lines} line(s) of ${s.files} file(s): kept ${s.points} point(s), skipped ${s.skipped} bad line(s)${reasonsText(s)}${s.ignored ? `, ${s.ignored} header/blank line(s)` : ''}`;
  return [head, ...s.samples.slice(0, samples).map((x) => `  skipped ${x}`)];
}

/** The same counts as fields of a JSON log line. */
export function summaryRecord(s: ReadSummary): { lines_read: number; points_kept: number; lines_skipped: number; lines_ignored: number; skipped_by_reason: Record<string, number> } {
  return { lines_read: s.lines, points_kept: s.points, lines_skipped: s.skipped, lines_ignored: s.ignored, skipped_by_reason: { ...s.byReason } };
}

/**
 * The error for a read that left nothing to work with: what was read, what was skipped and the
 * first sample, so the user sees why without a second run.
 */
export function nothingUsable(input: string, s: ReadSummary, what = 'no usable vehicle'): UserError {
  // the reasons and more samples are in the summary printed before; the first sample says enough here
  const first = s.samples[0] ? `; first: ${excerpt(s.samples[0], 120)}` : '';
  return new UserError(`${input}: ${what}: read ${s.lines} line(s), kept ${s.points} point(s), skipped ${s.skipped} bad line(s)${first}`, { file: input });
}
