// computeFleet stages fixes and feeds each window its own fixes in runs (fleet.ts FixStage). These
// check the staging changes nothing: across several full stages (65,536 fixes each), with
// vehicles interleaved fix by fix, arrivals out of order within the lateness bound, and fixes that
// are not numbers, every vehicle's features, images and cleaning counts equal those of a window
// fed the same fixes one by one through push().
import { expect, test } from 'vitest';
import type { GpsPoint } from '@cotrans/ingest';
import { computeFleet, VehicleWindow } from '@cotrans/features';
import { commuter, taxi, rng } from './synth.js';

const OPTS = { tz: 'Europe/Berlin' };

function fleet(): GpsPoint[] {
  const all: GpsPoint[] = [];
  for (let v = 0; v < 24; v++) {
    const id = `v${String(v).padStart(2, '0')}`;
    all.push(...(v % 3 === 0 ? taxi(id, { faults: true, seed: v, days: 3 }) : commuter(id, { faults: v % 2 === 0, seed: v, days: 3 })));
  }
  all.sort((a, b) => a.ts - b.ts);
  // swap some neighbours (out of order by at most a few fixes) and spoil a few fixes
  const r = rng(5);
  for (let i = 1; i < all.length; i++) if (r() < 0.05) [all[i - 1], all[i]] = [all[i], all[i - 1]];
  all[100] = { ...all[100], ts: Number.NaN };
  all[70_000] = { ...all[70_000], lat: '52.5' as unknown as number };
  all[140_000] = { ...all[140_000], lon: undefined as unknown as number };
  return all;
}

test('staged computeFleet equals one push() per fix, across full stages and odd input', async () => {
  const all = fleet();
  expect(all.length).toBeGreaterThan(2 * 65_536);
  const r = await computeFleet([all.slice(0, 50_000), all.slice(50_000, 50_001), all.slice(50_001)], OPTS);

  const windows = new Map<string, VehicleWindow>();
  for (const p of all) {
    let w = windows.get(p.vehicleId);
    if (!w) windows.set(p.vehicleId, (w = new VehicleWindow(p.vehicleId, OPTS)));
    w.push(p.ts, p.lat, p.lon);
  }
  expect(r.features.length).toBe(windows.size);
  let invalid = 0;
  for (const f of r.features) {
    const one = windows.get(f.vehicleId)!.endResult();
    expect(f.values).toEqual(one.features.values);
    expect(f.flags).toEqual(one.features.flags);
    expect(r.cleaningByVehicle.get(f.vehicleId)).toEqual(one.cleaning);
    const img = r.images.get(f.vehicleId)!;
    expect(img.dayKeys).toEqual(one.images!.dayKeys);
    expect(img.days.map((d) => Array.from(d))).toEqual(one.images!.days.map((d) => Array.from(d)));
    invalid += one.cleaning.invalid;
  }
  expect(invalid).toBe(3);
  expect(r.cleaning.input).toBe(all.length);
  expect(r.cleaning.late).toBe(0);
});

test('pushRun over a flat array equals push() fix by fix, and a snapshot taken between runs restores', () => {
  const pts = taxi('t', { faults: true, seed: 7, days: 2 });
  const flat = new Float64Array(pts.length * 3);
  pts.forEach((p, k) => flat.set([p.ts, p.lat, p.lon], 3 * k));
  const a = new VehicleWindow('t', OPTS);
  const half = pts.length >> 1;
  a.pushRun(flat, 0, half);
  const b = VehicleWindow.restore(JSON.parse(JSON.stringify(a.snapshot())));
  b.pushRun(flat, half, pts.length);
  const ref = new VehicleWindow('t', OPTS);
  for (const p of pts) ref.push(p.ts, p.lat, p.lon);
  const rb = b.endResult();
  const rr = ref.endResult();
  expect(rb.features.values).toEqual(rr.features.values);
  expect(rb.cleaning).toEqual(rr.cleaning);
  expect(Array.from(rb.images!.aggregate)).toEqual(Array.from(rr.images!.aggregate));
});
