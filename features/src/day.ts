// What the window keeps per local day: mergeable sums, so a day can slide out of the window
// without touching the others, and a snapshot is just these records.

/** Speed histogram of moving time: 2 km/h bins, the last one open-ended. */
export const SPEED_BIN_KMH = 2;
export const SPEED_BINS = 128;

export interface DayAgg {
  day: number;
  nPoints: number;
  /** Distance of moving segments (>= MOVING_KMH, no gap), m. */
  distM: number;
  movingS: number;
  nightMovingS: number;
  observedS: number;
  /** Bit h set when the vehicle moved in local hour h. */
  hourMask: number;
  speedHist: Float64Array;
  /** Map cells (mapCellM) with a fix, per local 6-hour period: 00-06, 06-12, 12-18, 18-24. */
  periods: [Set<number>, Set<number>, Set<number>, Set<number>];
  /** Image cell -> seconds spent there (vehicle frame: packed imageCellM cells; city frame: pixel index). */
  time: Map<number, number>;
  trips: number;
  tripLenM: number;
  tripDurS: number;
  /** Engine-on time: intervals between kept fixes no longer than maxGapS, moving or not (s). */
  engineS: number;
  /** Longest session (a run of fixes no more than maxGapS apart) that started this day (s). */
  sessionMaxS: number;
  /** Sessions of at least SHIFT_SESSION_S that started this day. */
  longSessions: number;
  /** Stay points, flat: lat, lon, arriveTs, leaveTs. */
  stays: number[];
  lastLat: number;
  lastLon: number;
  /** Sums for the radius of gyration (metres, vehicle-local projection). */
  rgSx: number;
  rgSy: number;
  rgSxx: number;
}

export function newDay(day: number): DayAgg {
  return {
    day,
    nPoints: 0,
    distM: 0,
    movingS: 0,
    nightMovingS: 0,
    observedS: 0,
    hourMask: 0,
    speedHist: new Float64Array(SPEED_BINS),
    periods: [new Set(), new Set(), new Set(), new Set()],
    time: new Map(),
    trips: 0,
    tripLenM: 0,
    tripDurS: 0,
    engineS: 0,
    sessionMaxS: 0,
    longSessions: 0,
    stays: [],
    lastLat: 0,
    lastLon: 0,
    rgSx: 0,
    rgSy: 0,
    rgSxx: 0,
  };
}

export interface DaySnapshot {
  s: number[]; // scalars, order of SCALARS
  hist: number[]; // sparse: bin, seconds, ...
  periods: number[][];
  time: number[]; // key, seconds, ... in insertion order
  stays: number[];
}

const SCALARS = ['day', 'nPoints', 'distM', 'movingS', 'nightMovingS', 'observedS', 'hourMask', 'trips', 'tripLenM', 'tripDurS', 'lastLat', 'lastLon', 'rgSx', 'rgSy', 'rgSxx', 'engineS', 'sessionMaxS', 'longSessions'] as const;

export function daySnapshot(d: DayAgg): DaySnapshot {
  const hist: number[] = [];
  for (let i = 0; i < SPEED_BINS; i++) if (d.speedHist[i] !== 0) hist.push(i, d.speedHist[i]);
  const time: number[] = [];
  for (const [k, v] of d.time) time.push(k, v);
  return { s: SCALARS.map((k) => d[k]), hist, periods: d.periods.map((p) => [...p]), time, stays: d.stays.slice() };
}

export function dayRestore(s: DaySnapshot): DayAgg {
  const d = newDay(s.s[0]);
  // a snapshot written before a scalar existed lacks it: that sum starts at 0
  SCALARS.forEach((k, i) => {
    (d as unknown as Record<string, number>)[k] = s.s[i] ?? 0;
  });
  for (let i = 0; i < s.hist.length; i += 2) d.speedHist[s.hist[i]] = s.hist[i + 1];
  d.periods = [new Set(s.periods[0]), new Set(s.periods[1]), new Set(s.periods[2]), new Set(s.periods[3])];
  for (let i = 0; i < s.time.length; i += 2) d.time.set(s.time[i], s.time[i + 1]);
  d.stays = s.stays.slice();
  return d;
}
