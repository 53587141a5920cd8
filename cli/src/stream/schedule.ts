// When a vehicle is scored again: pure rules on event time, so that a replay decides as the live
// stream did. A vehicle whose window changed is due once its fixes have moved on by the debounce
// since the first unscored change, or have crossed a local midnight since it was last scored. The
// partition's watermark (its latest fix) ages out a vehicle that went silent: stale first, then,
// once none of its days is inside the window, aged out.
import type { LabelRecord } from './labels.js';

export const DAY_MS = 86_400_000;

/** The stream's per-vehicle state next to its window (durable with it, and on the changelog). */
export interface VehicleState {
  /** Latest event time of the vehicle's fixes (epoch ms). */
  lastTs: number;
  /** Event time of the first change since the last scoring; -1 when nothing is waiting. */
  dirtySince: number;
  /** Event time of the vehicle's latest fix when it was last scored; -1 never. */
  scoredTs: number;
  stale: boolean;
  agedOut: boolean;
  label: LabelRecord | null;
}

export interface Schedule {
  debounceMs: number;
  /** Silence after which a vehicle is flagged stale (event time). */
  staleMs: number;
  windowDays: number;
  /** Local day number of an instant in the fleet's zone. */
  dayOf(ts: number): number;
  /** The instant (epoch ms) a local day number starts. */
  dayStart(day: number): number;
}

export const newVehicleState = (): VehicleState => ({ lastTs: -1, dirtySince: -1, scoredTs: -1, stale: false, agedOut: false, label: null });

/** The state after fixes with event times in [minTs, maxTs] went into the window. */
export function touched(s: VehicleState, minTs: number, maxTs: number): VehicleState {
  return { ...s, lastTs: Math.max(s.lastTs, maxTs), dirtySince: s.dirtySince >= 0 ? s.dirtySince : minTs, stale: false, agedOut: false };
}

/** Whether a vehicle with a changed window is due for scoring now. */
export function isDue(s: VehicleState, sc: Schedule): boolean {
  if (s.dirtySince < 0) return false;
  if (s.lastTs - s.dirtySince >= sc.debounceMs) return true;
  return s.scoredTs >= 0 && sc.dayOf(s.lastTs) !== sc.dayOf(s.scoredTs);
}

/** What the partition's watermark makes of a vehicle: 'stale' or 'aged-out' when that is news, else undefined. */
export function ageing(s: VehicleState, watermark: number, sc: Schedule): 'stale' | 'aged-out' | undefined {
  if (s.lastTs < 0 || s.agedOut) return undefined;
  // aged out: the vehicle's last day is older than the window that ends on the watermark's day
  if (sc.dayOf(s.lastTs) < sc.dayOf(watermark) - sc.windowDays + 1) return 'aged-out';
  if (!s.stale && watermark - s.lastTs >= sc.staleMs) return 'stale';
  return undefined;
}

/** Local days [start, end] of the window that ends on `endTs`'s day, as day numbers. */
export function windowDays(endTs: number, sc: Schedule): { start: number; end: number } {
  const end = sc.dayOf(endTs);
  return { start: end - sc.windowDays + 1, end };
}
