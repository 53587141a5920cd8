import { describe, expect, test } from 'vitest';
import type { GpsPoint } from '@cotrans/ingest';
import {
  VehicleWindow,
  FEATURE_COLUMNS,
  TRANSFERABLE_COLUMNS,
  NAN_COLUMNS,
  entropy,
  jaccard,
  shiftJaccard,
  mapSimilarity,
  mapViews,
  laplacianCells,
  pooledCells,
  jaccardSorted,
  LocalClock,
  dayKey,
  weekdayOf,
} from '@cotrans/features';
import { commuter, taxi, MONDAY } from './synth.js';

const OPTS = { tz: 'Europe/Berlin' };
const val = (r: { features: { values: number[] } }, name: string) => r.features.values[FEATURE_COLUMNS.indexOf(name)];
const SPAN = 32768;
const cell = (x: number, y: number) => (x + SPAN / 2) * SPAN + (y + SPAN / 2);

describe('columns', () => {
  test("15 transferable columns (the reference work's 12 and the shift structure), all among the feature columns, no raw coordinates", () => {
    expect(TRANSFERABLE_COLUMNS).toHaveLength(15);
    for (const c of TRANSFERABLE_COLUMNS) expect(FEATURE_COLUMNS).toContain(c);
    expect(new Set(FEATURE_COLUMNS).size).toBe(FEATURE_COLUMNS.length);
    for (const c of FEATURE_COLUMNS) expect(c).not.toMatch(/lat|lon/);
  });
});

describe('entropy and similarity', () => {
  test('entropy matches scipy.stats.entropy', () => {
    expect(entropy([1, 2, 3])).toBeCloseTo(1.0114042647073518, 12); // scipy.stats.entropy([1,2,3])
    expect(entropy([5, 5, 5, 5])).toBeCloseTo(Math.log(4), 12);
    expect(entropy([7])).toBe(0);
    expect(entropy([0, 0])).toBe(0);
    expect(entropy([0, 3])).toBe(0);
  });

  test('Jaccard with +0.1 smoothing', () => {
    const a = new Set([cell(0, 0), cell(1, 0)]);
    const b = new Set([cell(1, 0), cell(2, 0)]);
    expect(jaccard(a, b)).toBeCloseTo(1.1 / 3.1, 12);
    expect(jaccard(new Set(), new Set())).toBe(1);
  });

  test('a one-cell shift keeps a large part of the similarity that plain Jaccard loses', () => {
    const line = new Set(Array.from({ length: 10 }, (_, i) => cell(i, 0)));
    const up = new Set(Array.from({ length: 10 }, (_, i) => cell(i, 1)));
    const far = new Set(Array.from({ length: 10 }, (_, i) => cell(i, 50)));
    expect(jaccard(line, up)).toBeLessThan(0.01);
    expect(shiftJaccard(line, up)).toBeGreaterThan(0.19);
    expect(mapSimilarity(mapViews(line), mapViews(up))).toBeGreaterThan(3 * mapSimilarity(mapViews(line), mapViews(far)));
    expect(mapSimilarity(mapViews(line), mapViews(line))).toBeGreaterThan(mapSimilarity(mapViews(line), mapViews(up)));
  });

  test('the sorted-merge similarity equals the set definition, shifts included', () => {
    const r = (seed: number) => {
      let x = seed;
      return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    };
    const g = r(42);
    for (let t = 0; t < 20; t++) {
      const a = new Set(Array.from({ length: 1 + Math.floor(g() * 60) }, () => cell(Math.floor(g() * 12) - 6, Math.floor(g() * 12) - 6)));
      const b = new Set(Array.from({ length: Math.floor(g() * 60) }, () => cell(Math.floor(g() * 12) - 6, Math.floor(g() * 12) - 6)));
      const va = mapViews(a);
      const vb = mapViews(b);
      const bySets = 0.4 * shiftJaccard(a, b) + 0.3 * shiftJaccard(laplacianCells(a), laplacianCells(b)) + 0.3 * shiftJaccard(pooledCells(a), pooledCells(b));
      expect(mapSimilarity(va, vb)).toBeCloseTo(bySets, 12);
      expect(jaccardSorted(va.raw, vb.raw, SPAN)).toBeCloseTo(jaccard(a, b, SPAN), 12);
    }
  });

  test('cells on row 0 and column 0 count (reference bug not copied)', () => {
    const a = new Set([cell(0, 0), cell(0, 5), cell(5, 0)]);
    expect(jaccard(a, a)).toBe(1);
    // the Laplacian of a single cell: itself plus its four neighbours
    expect(laplacianCells(new Set([cell(0, 0)])).size).toBe(5);
  });
});

describe('local time', () => {
  test('UTC offsets through DST and day keys', () => {
    const c = new LocalClock('Europe/Berlin');
    expect(c.offsetMs(Date.UTC(2024, 2, 31, 0, 30))).toBe(3600_000);
    expect(c.offsetMs(Date.UTC(2024, 2, 31, 1, 30))).toBe(7200_000);
    expect(dayKey(c.dayOf(Date.UTC(2024, 2, 3, 23, 30)))).toBe('2024-03-04');
    expect(weekdayOf(c.dayOf(MONDAY))).toBe(1);
    expect(new LocalClock('America/Los_Angeles').offsetMs(Date.UTC(2008, 4, 26, 12))).toBe(-7 * 3600_000);
  });

  function drive(startUtc: number): GpsPoint[] {
    return Array.from({ length: 120 }, (_, i) => ({ vehicleId: 'v', ts: startUtc + i * 15_000, lat: 52.5 + i * 0.0013, lon: 13.4 }));
  }

  test('night driving uses the fleet time zone, not UTC', () => {
    // 00:30 local (23:30 UTC the day before): night in Berlin
    const a = new VehicleWindow('v', OPTS).add(drive(Date.UTC(2024, 2, 4, 23, 30))).result();
    expect(val(a, 'night_drive_share')).toBe(1);
    // 05:30 local (04:30 UTC): not night in Berlin
    const b = new VehicleWindow('v', OPTS).add(drive(Date.UTC(2024, 2, 5, 4, 30))).result();
    expect(val(b, 'night_drive_share')).toBe(0);
    expect(b.images!.dayKeys).toEqual(['2024-03-05']);
  });
});

describe('features of a commuter and a taxi', () => {
  const c = new VehicleWindow('c', OPTS).add(commuter('c', { faults: true })).result();
  const t = new VehicleWindow('t', OPTS).add(taxi('t', { faults: true })).result();

  test('commuter: two trips per weekday, home every night, no night driving', () => {
    expect(c.features.flags).toEqual([]);
    expect(val(c, 'active_days')).toBe(7);
    expect(val(c, 'trips_per_day')).toBeCloseTo(12 / 7, 6);
    expect(val(c, 'overnight_consistency')).toBe(1);
    expect(val(c, 'night_drive_share')).toBe(0);
    expect(val(c, 'stay_locations')).toBe(3); // home, work, shop
    expect(val(c, 'top_location_share')).toBeGreaterThan(0.5);
    expect(val(c, 'speed_p50_kmh')).toBeGreaterThan(30);
    expect(val(c, 'speed_p50_kmh')).toBeLessThan(46);
    // 16 km on weekdays, 7 km on Saturday, 0 on Sunday (Sunday still active: the car reports parked)
    expect(val(c, 'dist_mean_km')).toBeGreaterThan(12);
    expect(val(c, 'dist_mean_km')).toBeLessThan(14);
    expect(val(c, 'weekend_weekday_ratio')).toBeLessThan(1);
  });

  test('taxi: more distance, coverage, trips and spread than the commuter', () => {
    expect(val(t, 'dist_mean_km')).toBeGreaterThan(10 * val(c, 'dist_mean_km'));
    expect(val(t, 'cov_mean_cells')).toBeGreaterThan(5 * val(c, 'cov_mean_cells'));
    expect(val(t, 'trips_per_day')).toBeGreaterThan(10);
    expect(val(t, 'night_drive_share')).toBeGreaterThan(0);
    expect(val(t, 'stay_locations')).toBeGreaterThan(20);
    expect(val(t, 'active_hours_per_day')).toBeGreaterThan(15);
  });

  test('no NaN outside the documented columns', () => {
    for (const r of [c, t]) {
      r.features.values.forEach((v, i) => {
        if (!NAN_COLUMNS.includes(FEATURE_COLUMNS[i])) expect(Number.isFinite(v), FEATURE_COLUMNS[i]).toBe(true);
      });
    }
  });

  test('location invariance: the same car moved to another city has the same features', () => {
    // 1,700 km east on the same parallel: every metric distance is unchanged
    const moved = commuter('c', { faults: true }).map((p) => ({ ...p, lon: p.lon + 25.1 }));
    const m = new VehicleWindow('c', OPTS).add(moved).result();
    for (const name of FEATURE_COLUMNS) {
      const a = val(c, name);
      const b = val(m, name);
      expect(Math.abs(a - b), name).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(a)));
    }
  });
});

test('coverage counts every cell entered, also along one grid row (reference bug: only row AND column changes)', () => {
  // 10.5 km due east at a constant latitude: 11 or 12 one-km cells, all in one row
  const pts = Array.from({ length: 106 }, (_, i) => ({ vehicleId: 'e', ts: MONDAY + 9 * 3600_000 + i * 10_000, lat: 52.5, lon: 13.4 + (i * 100) / 67_700 }));
  const r = new VehicleWindow('e', OPTS).add(pts).result();
  expect(val(r, 'cov_mean_cells')).toBeGreaterThanOrEqual(11);
  expect(val(r, 'cov_mean_cells')).toBeLessThanOrEqual(12);
});

describe('flags: vehicles with too little data are flagged, never dropped', () => {
  test('too few points and one active day', () => {
    const pts = commuter('x', { days: 1 }).slice(0, 20);
    const r = new VehicleWindow('x', OPTS).add(pts).result();
    expect(r.features.flags).toEqual(['too_few_points', 'one_active_day']);
    expect(Number.isNaN(val(r, 'sim_days_mean'))).toBe(true);
    expect(Number.isNaN(val(r, 'weekend_weekday_ratio'))).toBe(true);
  });
  test('a window that saw nothing valid', () => {
    const r = new VehicleWindow('x', OPTS).result();
    expect(r.features.flags).toEqual(['no_data']);
    expect(r.features.nPoints).toBe(0);
  });
});

describe('shift structure', () => {
  const M = 1 / 111_195;
  /** Fixes every stepS from t for durS, moving north at kmh, stopping still for the last waitS of it. */
  function session(t: number, durS: number, stepS: number, kmh: number, lat0: number, waitS = 0): GpsPoint[] {
    const out: GpsPoint[] = [];
    for (let s = 0; s <= durS; s += stepS) {
      const moving = Math.min(s, durS - waitS);
      out.push({ vehicleId: 'v', ts: t + s * 1000, lat: lat0 + (moving * kmh) / 3.6 * M, lon: 13.4 });
    }
    return out;
  }
  const H = 3600;

  test('a 3 h shift and two short trips: the longest session, shift count and engine hours', () => {
    const day1 = MONDAY + 7 * H * 1000;
    const pts = [
      ...session(day1, 20 * 60, 60, 30, 52.5), // a 20 min trip
      ...session(day1 + 5 * H * 1000, 3 * H, 60, 25, 52.52, 30 * 60), // a 3 h shift whose last 30 min wait
      ...session(day1 + 26 * H * 1000, 25 * 60, 60, 30, 52.5), // next day, 25 min
    ];
    const r = new VehicleWindow('v', OPTS).add(pts).result();
    expect(val(r, 'session_max_h')).toBeCloseTo(3, 6);
    expect(val(r, 'shift_sessions')).toBe(1);
    // (20 min + 3 h + 25 min) over 2 active days
    expect(val(r, 'engine_hours_per_day')).toBeCloseTo((20 / 60 + 3 + 25 / 60) / 2, 6);
    // 30 min of the 3 h 45 min engine-on time were spent still
    expect(val(r, 'idle_engine_share')).toBeCloseTo(0.5 / (3 + 45 / 60), 2);
  });

  test('the same shift sampled every 15 s or every 60 s, or cut into a snapshot midway, gives the same structure', () => {
    const t0 = MONDAY + 18 * H * 1000;
    const at = (step: number) => new VehicleWindow('v', OPTS).add(session(t0, 4 * H, step, 28, 52.5)).result();
    for (const name of ['session_max_h', 'shift_sessions', 'engine_hours_per_day']) expect(val(at(15), name), name).toBeCloseTo(val(at(60), name), 6);
    const pts = session(t0, 4 * H, 60, 28, 52.5);
    const w = new VehicleWindow('v', { ...OPTS, latenessMs: 0 }).add(pts.slice(0, 100));
    const back = VehicleWindow.restore(JSON.parse(JSON.stringify(w.snapshot()))).add(pts.slice(100)).result();
    expect(val(back, 'session_max_h')).toBeCloseTo(4, 6);
    expect(val(back, 'shift_sessions')).toBe(1);
  });

  test('a gap longer than maxGapS ends a session; a snapshot written before sessions existed restores', () => {
    const t0 = MONDAY + 8 * H * 1000;
    const pts = [...session(t0, 1.5 * H, 60, 30, 52.5), ...session(t0 + 1.75 * H * 1000, 1.5 * H, 60, 30, 52.55)];
    const r = new VehicleWindow('v', OPTS).add(pts).result();
    expect(val(r, 'session_max_h')).toBeCloseTo(1.5, 6);
    expect(val(r, 'shift_sessions')).toBe(0);
    const w = new VehicleWindow('v', OPTS).add(pts.slice(0, 50));
    const snap = JSON.parse(JSON.stringify(w.snapshot()));
    snap.scalars = snap.scalars.slice(0, -1); // no sessStart
    for (const d of snap.days) d.s = d.s.slice(0, -3); // no engineS, sessionMaxS, longSessions
    const old = VehicleWindow.restore(snap).add(pts.slice(50)).result();
    expect(Number.isFinite(val(old, 'session_max_h'))).toBe(true);
    expect(val(old, 'session_max_h')).toBeCloseTo(1.5, 6);
  });
});
