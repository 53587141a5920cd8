import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import type { GpsPoint } from '@cotrans/ingest';
import { computeFleet, fleetBbox, featuresToCsv, parseFeaturesCsv, VehicleWindow, FEATURE_COLUMNS, COLUMN_DOCS, CSV_HEADER } from '@cotrans/features';
import { commuter, taxi, rng } from './synth.js';

const OPTS = { tz: 'Europe/Berlin' };

function fleetPoints(): { all: GpsPoint[]; byVehicle: Map<string, GpsPoint[]> } {
  const byVehicle = new Map<string, GpsPoint[]>([
    ['c1', commuter('c1', { faults: true, seed: 1, days: 3 })],
    ['t1', taxi('t1', { faults: true, seed: 2, days: 3 })],
    ['c2', commuter('c2', { seed: 3, days: 3 })],
    ['few', commuter('few', { days: 1 }).slice(0, 10)],
  ]);
  // interleaved by time across vehicles, as a fleet log or a Kafka topic delivers them
  const all = [...byVehicle.values()].flat().sort((a, b) => a.ts - b.ts);
  return { all, byVehicle };
}

function chunks<T>(a: T[], seed: number): T[][] {
  const r = rng(seed);
  const out: T[][] = [];
  for (let i = 0; i < a.length; ) {
    const n = 1 + Math.floor(r() * 5000);
    out.push(a.slice(i, i + n));
    i += n;
  }
  return out;
}

test('computeFleet over interleaved batches equals one window per vehicle; flagged vehicles are listed', async () => {
  const { all, byVehicle } = fleetPoints();
  let progress = 0;
  async function* gen() {
    for (const c of chunks(all, 9)) yield c;
  }
  const r = await computeFleet(gen(), { ...OPTS, onProgress: (n) => (progress = n) });
  expect(progress).toBe(all.length);
  expect(r.features.map((f) => f.vehicleId)).toEqual(['c1', 'c2', 'few', 't1']);
  for (const f of r.features) {
    const one = new VehicleWindow(f.vehicleId, OPTS).add(byVehicle.get(f.vehicleId)!).result();
    expect(f.values).toEqual(one.features.values);
    expect(Array.from(r.images.get(f.vehicleId)!.aggregate)).toEqual(Array.from(one.images!.aggregate));
  }
  expect(r.features.find((f) => f.vehicleId === 'few')!.flags).toContain('too_few_points');
  expect(r.cleaning.input).toBe(all.length);
  expect(r.cleaning.exactDuplicates).toBeGreaterThan(0);
  expect(r.cleaningByVehicle.get('c2')!.jumps).toBe(0);
});

test('fleetBbox ignores a few wild fixes', async () => {
  const { all } = fleetPoints();
  const wild = [...all, { vehicleId: 'x', ts: 0, lat: 0, lon: 0 }];
  const [a, b, c, d] = await fleetBbox([wild]);
  expect(a).toBeGreaterThan(13);
  expect(b).toBeGreaterThan(52);
  expect(c).toBeLessThan(13.7);
  expect(d).toBeLessThan(52.9); // the test data has 0.5% spikes 0.3 degrees north
  const r = await computeFleet([all], { ...OPTS, frame: 'city', bbox: [a, b, c, d] });
  expect(r.images.get('t1')!.frame).toBe('city');
});

test('features CSV: vehicle_id first, then flags and n_points, then every column; round trip', async () => {
  const { all } = fleetPoints();
  const r = await computeFleet([all], { ...OPTS, images: false });
  expect(r.images.size).toBe(0);
  const csv = featuresToCsv(r.features);
  const lines = csv.trim().split('\n');
  expect(lines[0].split(',')).toEqual(CSV_HEADER);
  expect(CSV_HEADER[0]).toBe('vehicle_id');
  expect(lines).toHaveLength(5);
  const back = parseFeaturesCsv(csv);
  expect(back.map((f) => f.vehicleId)).toEqual(r.features.map((f) => f.vehicleId));
  expect(back.find((f) => f.vehicleId === 'few')!.flags).toEqual(['too_few_points', 'one_active_day']);
  back.forEach((f, i) => f.values.forEach((v, j) => (Number.isNaN(v) ? expect(r.features[i].values[j]).toBeNaN() : expect(v).toBeCloseTo(r.features[i].values[j], 6))));
  expect(() => parseFeaturesCsv('vehicle_id,flags\nx,\n', 'f.csv')).toThrow(/f.csv:1: missing column dist_mean_km/);
});

test('the README documents every column with its unit', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  for (const c of COLUMN_DOCS) expect(readme, c.name).toMatch(new RegExp(`\\| \`${c.name}\` \\| ${c.unit.replace(/[/()]/g, '\\$&')} \\|`));
  expect(FEATURE_COLUMNS.length).toBe(COLUMN_DOCS.length);
});
