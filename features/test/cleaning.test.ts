import { expect, test } from 'vitest';
import type { GpsPoint } from '@cotrans/ingest';
import { VehicleWindow, FEATURE_COLUMNS, haversineM, distanceM } from '@cotrans/features';
import { MONDAY } from './synth.js';

const OPTS = { tz: 'Europe/Berlin', minPoints: 1 };
const col = (name: string) => FEATURE_COLUMNS.indexOf(name);
const M_LAT = 1 / 111_195;

/** Straight drive north from (lat, lon) at kmh, a fix every stepS. */
function straight(id: string, t0: number, lat: number, lon: number, km: number, kmh = 36, stepS = 15): GpsPoint[] {
  const out: GpsPoint[] = [];
  const n = Math.round((km * 1000) / ((kmh / 3.6) * stepS));
  for (let i = 0; i <= n; i++) out.push({ vehicleId: id, ts: t0 + i * stepS * 1000, lat: lat + (i * km * 1000 * M_LAT) / n, lon });
  return out;
}

test('the fast distance agrees with haversine within 0.1% at city scale', () => {
  for (const [a, b, c, d] of [
    [52.5, 13.4, 52.51, 13.42],
    [37.77, -122.42, 37.70, -122.40],
    [-33.9, 151.2, -33.91, 151.19],
  ]) {
    expect(Math.abs(distanceM(a, b, c, d) / haversineM(a, b, c, d) - 1)).toBeLessThan(1e-3);
  }
});

test('daily distance of a straight 10 km drive', () => {
  const pts = straight('v', MONDAY + 9 * 3600_000, 52.5, 13.4, 10);
  const r = new VehicleWindow('v', OPTS).add(pts).result();
  expect(r.features.values[col('dist_mean_km')]).toBeCloseTo(10, 1);
  expect(r.cleaning.kept).toBe(pts.length);
});

test('exact and near duplicates are dropped and counted', () => {
  const pts = straight('v', MONDAY + 9 * 3600_000, 52.5, 13.4, 5);
  const withDups = pts.flatMap((p, i) => (i % 10 === 3 ? [p, { ...p }] : i % 10 === 6 ? [p, { ...p, ts: p.ts + 200, lat: p.lat + 1e-5 }] : [p]));
  const r = new VehicleWindow('v', OPTS).add(withDups).result();
  const clean = new VehicleWindow('v', OPTS).add(pts).result();
  expect(r.cleaning.exactDuplicates).toBe(pts.filter((_, i) => i % 10 === 3).length);
  expect(r.cleaning.nearDuplicates).toBe(pts.filter((_, i) => i % 10 === 6).length);
  expect(r.features.values).toEqual(clean.features.values);
});

test('a one-fix spike is removed, judged against both neighbours, even before a long interval', () => {
  const pts = straight('v', MONDAY + 9 * 3600_000, 52.5, 13.4, 5);
  const spiky = [...pts];
  spiky.splice(20, 0, { ...pts[19], ts: pts[19].ts + 5000, lat: pts[19].lat + 0.2 });
  // a spike 22 km off, followed by the next fix 10 min later (only 130 km/h from the spike)
  const tail = { ...pts[pts.length - 1], ts: pts[pts.length - 1].ts + 600_000 };
  spiky.push({ ...tail, ts: tail.ts - 599_000, lat: tail.lat - 0.2 }, tail);
  const r = new VehicleWindow('v', OPTS).add(spiky).result();
  expect(r.cleaning.jumps).toBe(2);
  expect(r.features.values[col('dist_mean_km')]).toBeCloseTo(5, 1);
  expect(r.features.values[col('speed_p90_kmh')]).toBeLessThan(45);
});

test('a lasting relocation (track resumes elsewhere) is kept, and no distance is counted across the gap', () => {
  const a = straight('v', MONDAY + 9 * 3600_000, 52.5, 13.4, 5);
  const b = straight('v', a[a.length - 1].ts + 30 * 60_000, 52.8, 13.4, 5);
  const r = new VehicleWindow('v', OPTS).add([...a, ...b]).result();
  expect(r.cleaning.jumps).toBe(0);
  expect(r.cleaning.gaps).toBe(1);
  expect(r.features.values[col('dist_mean_km')]).toBeCloseTo(10, 1);
  expect(r.features.values[col('trips_per_day')]).toBe(2);
});

test('invalid numbers are counted, not aggregated', () => {
  const pts = straight('v', MONDAY + 9 * 3600_000, 52.5, 13.4, 2);
  const r = new VehicleWindow('v', OPTS).add([...pts, { vehicleId: 'v', ts: NaN, lat: 1, lon: 1 }]).result();
  expect(r.cleaning.invalid).toBe(1);
  expect(r.cleaning.kept).toBe(pts.length);
});

test('options are validated with messages naming the option', () => {
  expect(() => new VehicleWindow('v', { tz: 'Mars/Olympus' })).toThrow(/unknown time zone 'Mars\/Olympus'/);
  expect(() => new VehicleWindow('v', { tz: 'UTC', imageSize: 3 })).toThrow(/imageSize/);
  expect(() => new VehicleWindow('v', { tz: 'UTC', frame: 'city' })).toThrow(/bbox/);
});
