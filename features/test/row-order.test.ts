// A file is not a stream: with order 'time' the features of a log do not depend on its row order
// (a shuffled log loses no fix as "late"), and memory per vehicle stays within the window's span.
import { expect, test } from 'vitest';
import fc from 'fast-check';
import type { GpsPoint } from '@cotrans/ingest';
import { computeFleet, featuresToCsv } from '@cotrans/features';
import { BERLIN, commuter, rng, taxi } from './synth.js';

const fleet = (): GpsPoint[] => [...commuter('c1', { days: 9, faults: true }), ...taxi('t1', { days: 9 }), ...taxi('t2', { days: 4 }), ...commuter('few', { days: 1 }).slice(0, 7)];

const shuffled = <T>(xs: T[], seed: number): T[] => {
  const r = rng(seed);
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
const batches = (xs: GpsPoint[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

test('any row order of the same points gives the same features and counts', async () => {
  const pts = fleet();
  const inOrder = pts.slice().sort((a, b) => a.ts - b.ts);
  const opts = { tz: BERLIN.tz, images: false, order: 'time' as const };
  const want = await computeFleet(batches(inOrder, 1000), opts);
  // the stream path on the sorted log is the reference: sorted, the two agree
  const stream = await computeFleet(batches(inOrder, 1000), { tz: BERLIN.tz, images: false });
  expect(featuresToCsv(want.features)).toBe(featuresToCsv(stream.features));
  expect(want.cleaning.late).toBe(0);
  await fc.assert(
    fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 5000 }), async (seed, size) => {
      const got = await computeFleet(batches(shuffled(pts, seed), size), opts);
      expect(featuresToCsv(got.features)).toBe(featuresToCsv(want.features));
      expect(got.cleaning).toEqual(want.cleaning);
    }),
    { numRuns: 8 },
  );
  // the stream path loses fixes of a shuffled log as late, as a stream must
  const late = await computeFleet(batches(shuffled(pts, 1), 1000), { tz: BERLIN.tz, images: false });
  expect(late.cleaning.late).toBeGreaterThan(pts.length / 2);
});

test('fixes far behind a vehicle\'s newest are let go as they fall out of the window, in any order', async () => {
  // 9 days of a taxi and a 7-day window: the first days fall out, counted as out of the window
  const pts = taxi('t1', { days: 9 });
  const opts = { tz: BERLIN.tz, images: false, order: 'time' as const };
  const a = await computeFleet([pts], opts);
  const b = await computeFleet([shuffled(pts, 7)], opts);
  expect(a.cleaning.outOfWindow).toBeGreaterThan(0);
  expect(b.cleaning).toEqual(a.cleaning);
  expect(a.cleaning.input).toBe(pts.length);
});
