// A vehicle window's state as plain JSON: the scalar fields by position, the reorder buffer and the
// days. SCALAR_STATE is hand-kept (a test fails when a numeric field of the window is in neither it
// nor DERIVED_FIELDS); its order is the snapshot format, so new fields go at the end.
import { daySnapshot, dayRestore, type DayAgg, type DaySnapshot } from './day.js';
import type { ResolvedOptions } from './options.js';
import type { CleaningCounts } from './window-counts.js';

export const SCALAR_STATE = [
  'hasLast', 'lastTs', 'lastLat', 'lastLon',
  'hasPrev', 'prevTs', 'prevLat', 'prevLon', 'hasCand', 'candTs', 'candLat', 'candLon', 'prevToCandM',
  'hasAgg', 'aggTs', 'aggDay', 'aggHour', 'aggOffsetMs', 'aggImg',
  'hasRef', 'refLat', 'refLon', 'mPerDegLonRef',
  'started', 'maxSeen', 'watermark', 'curDay', 'minDay',
  'hasPend', 'pendKey', 'pendDay', 'pendS',
  'hasAnchor', 'anchorLat', 'anchorLon', 'stayStart', 'stayLast', 'staySumLat', 'staySumLon', 'stayFixes', 'lenAtStart', 'lenAtLast', 'tripStart', 'tripLen',
  'sessStart',
] as const;
type ScalarKey = (typeof SCALAR_STATE)[number];

/** Numeric fields that are not state: the buffer's bounds (the buffer is saved as its fixes), a memo, and constants from the options. */
export const DERIVED_FIELDS = ['head', 'tail', 'memoKey', 'memoPeriod', 'mapK', 'imgK', 'nearDupMs', 'maxMps', 'maxGapMs', 'stayR2', 'latenessMs'] as const;

export interface WindowSnapshot {
  v: 1;
  vehicleId: string;
  opts: ResolvedOptions;
  counts: CleaningCounts;
  scalars: number[];
  /** Reorder buffer, flat ts, lat, lon. */
  buffer: number[];
  days: DaySnapshot[];
}

/** What snapshot and restore reach inside a window. */
interface WindowState {
  readonly vehicleId: string;
  readonly opts: ResolvedOptions;
  readonly counts: CleaningCounts;
  readonly days: Map<number, DayAgg>;
  cur: DayAgg | null;
  curDay: number;
  bufTs: Float64Array;
  bufLat: Float64Array;
  bufLon: Float64Array;
  head: number;
  tail: number;
  insert(f: Float64Array, k: number): void;
}

export function snapshotOf(window: object): WindowSnapshot {
  const w = window as WindowState;
  const scalars = window as unknown as Record<ScalarKey, number>;
  const buffer: number[] = [];
  for (let i = w.head; i < w.tail; i++) buffer.push(w.bufTs[i], w.bufLat[i], w.bufLon[i]);
  return {
    v: 1,
    vehicleId: w.vehicleId,
    opts: { ...w.opts },
    counts: { ...w.counts },
    scalars: SCALAR_STATE.map((k) => scalars[k]),
    buffer,
    days: [...w.days.values()].map(daySnapshot),
  };
}

/** Puts snapshot `s` into a new window made with its vehicle and options. */
export function restoreInto<T extends object>(window: T, s: WindowSnapshot): T {
  const w = window as unknown as WindowState;
  Object.assign(w.counts, s.counts);
  const scalars = window as unknown as Record<ScalarKey, number>;
  // a snapshot written before a field existed lacks it (sessStart: sessions start again)
  SCALAR_STATE.forEach((k, i) => {
    scalars[k] = s.scalars[i] ?? 0;
  });
  const buf = Float64Array.from(s.buffer);
  for (let k = 0; k < buf.length / 3; k++) w.insert(buf, k);
  for (const ds of s.days) {
    const d = dayRestore(ds);
    w.days.set(d.day, d);
  }
  w.cur = w.days.get(w.curDay) ?? null;
  return window;
}
