// On the project's fleet simulator and, when present, the real Cabspotting week.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { GpsPoint } from '@cotrans/ingest';
import { readPoints } from '@cotrans/ingest';
import { generateFleet } from '@cotrans/fixtures';
import { computeFleet, VehicleWindow, FEATURE_COLUMNS, type WindowSnapshot } from '@cotrans/features';
import { rng } from './synth.js';

const col = (n: string) => FEATURE_COLUMNS.indexOf(n);

describe('simulated fleet (fixtures, seeded)', () => {
  const fleet = generateFleet({ preset: 'target', vehicles: 20, days: 3, seed: 5, sharedShare: 0.3 });
  const tz = fleet.city.tz;
  const batches: GpsPoint[][] = [...fleet.points()];
  const labels = new Map(fleet.labels.map((l) => [l.vehicleId, l.label]));

  test('a consumer-like stream (shuffled within lateness, per-vehicle windows checkpointed through JSON midway) equals the batch pass', async () => {
    // the simulator delivers some fixes up to 10 min late: the default 15-min lateness reorders them
    const batch = await computeFleet(batches, { tz });
    expect(batch.cleaning.late).toBe(0);
    const all = batches.flat();
    const r = rng(3);
    const arrival = all.map((p) => ({ p, k: p.ts + r() * 890_000 })).sort((a, b) => a.k - b.k).map((x) => x.p);
    const windows = new Map<string, VehicleWindow>();
    const half = Math.floor(arrival.length / 2);
    arrival.forEach((p, i) => {
      if (i === half) {
        // a checkpoint and a restart: every window through JSON
        const snaps = JSON.parse(JSON.stringify([...windows.values()].map((w) => w.snapshot()))) as WindowSnapshot[];
        windows.clear();
        for (const s of snaps) windows.set(s.vehicleId, VehicleWindow.restore(s));
      }
      let w = windows.get(p.vehicleId);
      if (!w) windows.set(p.vehicleId, (w = new VehicleWindow(p.vehicleId, { tz })));
      w.add(p);
    });
    expect(batch.features.length).toBe(windows.size);
    for (const f of batch.features) {
      const s = windows.get(f.vehicleId)!.result();
      expect(s.features.values, f.vehicleId).toEqual(f.values);
      expect(s.cleaning.late).toBe(0);
      expect(Array.from(s.images!.aggregate)).toEqual(Array.from(batch.images.get(f.vehicleId)!.aggregate));
    }
  });

  test('shared vehicles drive more and cover more cells than private ones', async () => {
    const { features } = await computeFleet(batches, { tz, images: false });
    const avg = (label: string, c: string) => {
      const v = features.filter((f) => labels.get(f.vehicleId) === label).map((f) => f.values[col(c)]);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(avg('shared', 'dist_mean_km')).toBeGreaterThan(2 * avg('private', 'dist_mean_km'));
    expect(avg('shared', 'cov_mean_cells')).toBeGreaterThan(2 * avg('private', 'cov_mean_cells'));
    // every vehicle that sent a fix (a private car may idle all three days)
    expect(features).toHaveLength(new Set(batches.flat().map((p) => p.vehicleId)).size);
  });
});

const CAB = fileURLToPath(new URL('../../../shared/data/real/cabspotting-week', import.meta.url));
describe.skipIf(!existsSync(CAB))('real Cabspotting week (skipped when ../shared/data/real is absent)', () => {
  test('50 taxis: plausible daily km, night driving, no flags', async () => {
    const { features, cleaning } = await computeFleet(readPoints(CAB, { format: 'cabspotting' }), { tz: 'America/Los_Angeles', images: false });
    expect(features).toHaveLength(50);
    expect(cleaning.input).toBe(330_646);
    const km = features.map((f) => f.values[col('dist_mean_km')]).sort((a, b) => a - b);
    const median = km[25];
    // San Francisco cabs: a few hundred km per active day
    expect(median).toBeGreaterThan(100);
    expect(median).toBeLessThan(450);
    expect(features.filter((f) => f.values[col('night_drive_share')] > 0).length).toBeGreaterThan(25);
    expect(features.every((f) => f.flags.length === 0)).toBe(true);
  });
});
