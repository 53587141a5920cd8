// Streaming == batch: the same fixes through one window in any arrival order within the lateness
// bound, any chunking, and a snapshot/restore (through JSON) midway give identical features and
// images to one batch pass.
import { describe, expect, test } from 'vitest';
import type { GpsPoint } from '@cotrans/ingest';
import { VehicleWindow, type WindowResult, type FeatureOptions } from '@cotrans/features';
import { commuter, rng, taxi } from './synth.js';

const LATENESS = 120_000;
const OPTS: FeatureOptions = { tz: 'Europe/Berlin', latenessMs: LATENESS, windowDays: 7 };

function batch(id: string, pts: GpsPoint[], opts: FeatureOptions = OPTS): WindowResult {
  return new VehicleWindow(id, opts).add(pts).result();
}

/** Arrival order: each fix delayed by a random amount below the lateness bound. */
function shuffleWithinLateness(pts: GpsPoint[], seed: number, bound = LATENESS): GpsPoint[] {
  const r = rng(seed);
  return pts
    .map((p) => ({ p, k: p.ts + r() * bound * 0.999 }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.p);
}

function expectSame(a: WindowResult, b: WindowResult): void {
  expect(b.cleaning).toEqual(a.cleaning);
  expect(b.features.flags).toEqual(a.features.flags);
  expect(b.features.nPoints).toBe(a.features.nPoints);
  // exact equality, NaN included (Object.is semantics)
  expect(b.features.values).toEqual(a.features.values);
  expect(b.images!.dayKeys).toEqual(a.images!.dayKeys);
  expect(b.images!.days.map((d) => Array.from(d))).toEqual(a.images!.days.map((d) => Array.from(d)));
  expect(Array.from(b.images!.aggregate)).toEqual(Array.from(a.images!.aggregate));
}

describe.each([
  ['commuter', commuter('car-1', { faults: true, seed: 11 })],
  ['taxi', taxi('car-1', { faults: true, seed: 12, days: 3 })],
])('%s: streaming equals batch', (_name, pts) => {
  const ref = batch('car-1', pts);

  test('the batch result is not trivial', () => {
    expect(ref.features.nPoints).toBeGreaterThan(1000);
    expect(ref.cleaning.jumps + ref.cleaning.exactDuplicates + ref.cleaning.nearDuplicates).toBeGreaterThan(0);
    expect(ref.images!.aggregate.some((v) => v > 0)).toBe(true);
  });

  test('point by point', () => {
    const w = new VehicleWindow('car-1', OPTS);
    for (const p of pts) w.add(p);
    expectSame(ref, w.result());
  });

  test.each([1, 2, 3])('shuffled within the lateness bound (seed %i)', (seed) => {
    const shuffled = shuffleWithinLateness(pts, seed);
    expect(shuffled).not.toEqual(pts);
    const r = batch('car-1', shuffled);
    expect(r.cleaning.late).toBe(0);
    expectSame(ref, r);
  });

  test.each([4, 5, 6])('random chunking (seed %i)', (seed) => {
    const r = rng(seed);
    const w = new VehicleWindow('car-1', OPTS);
    for (let i = 0; i < pts.length; ) {
      const n = 1 + Math.floor(r() * 500);
      w.add(pts.slice(i, i + n));
      i += n;
    }
    expectSame(ref, w.result());
  });

  test.each([0.13, 0.5, 0.87])('snapshot/restore through JSON at %f of the stream, shuffled arrival', (frac) => {
    const shuffled = shuffleWithinLateness(pts, 7);
    const cut = Math.floor(shuffled.length * frac);
    const w1 = new VehicleWindow('car-1', OPTS).add(shuffled.slice(0, cut));
    const before = w1.result(); // result() must not disturb the window
    const snap = JSON.parse(JSON.stringify(w1.snapshot()));
    const w2 = VehicleWindow.restore(snap).add(shuffled.slice(cut));
    w1.add(shuffled.slice(cut));
    expectSame(ref, w2.result());
    expectSame(ref, w1.result());
    expect(before.features.nPoints).toBeLessThanOrEqual(ref.features.nPoints);
  });
});

test('a fix later than the lateness bound is dropped and counted, not reordered', () => {
  const pts = commuter('v', { days: 2 });
  const late = { ...pts[100] };
  const w = new VehicleWindow('v', OPTS).add(pts.slice(0, 2000)).add(late);
  expect(w.result().cleaning.late).toBe(1);
});

test('memory stays bounded: only windowDays days and a small reorder buffer are held', () => {
  const pts = commuter('v', { days: 21, seed: 3 });
  const w = new VehicleWindow('v', { ...OPTS, windowDays: 7 });
  w.add(pts);
  const held = w.held;
  expect(held.days).toBeLessThanOrEqual(7);
  expect(held.buffered).toBeLessThanOrEqual(LATENESS / 15_000 + 2);
  const r = w.result();
  expect(r.features.values[r.features.values.length - 1]).not.toBeUndefined();
  expect(r.cleaning.outOfWindow).toBeGreaterThan(0);
  expect(r.images!.days.length).toBe(7);
  expect(JSON.stringify(w.snapshot()).length).toBeLessThan(200_000);
});

test('a window refuses fixes of another vehicle', () => {
  expect(() => new VehicleWindow('a', OPTS).add({ vehicleId: 'b', ts: 0, lat: 0, lon: 0 })).toThrow(/vehicle b/);
});
