// The snapshot lists a window's scalar state by hand (window-snapshot.ts): a numeric field added to
// a stage and not to SCALAR_STATE would silently restart at 0 after a restore.
import { expect, test } from 'vitest';
import { DERIVED_FIELDS, SCALAR_STATE, VehicleWindow } from '@cotrans/features';
import { commuter } from './synth.js';

const OPTS = { tz: 'Europe/Berlin' };

test('every numeric field of a window is in the snapshot or named as derived, and every listed field exists', () => {
  const w = new VehicleWindow('c1', OPTS).add(commuter('c1', { seed: 3, days: 2 }).slice(0, 500));
  const numeric = Object.entries(w)
    .filter(([, v]) => typeof v === 'number')
    .map(([k]) => k);
  const listed = new Set<string>([...SCALAR_STATE, ...DERIVED_FIELDS]);
  expect(numeric.filter((k) => !listed.has(k))).toEqual([]);
  expect([...listed].filter((k) => !numeric.includes(k))).toEqual([]);
  expect(new Set(SCALAR_STATE).size).toBe(SCALAR_STATE.length);
});

test('a window restored midway holds the same scalars and ends with the same result', () => {
  const pts = commuter('c1', { seed: 4, days: 3 });
  const half = Math.floor(pts.length / 2);
  const a = new VehicleWindow('c1', OPTS).add(pts.slice(0, half));
  const b = VehicleWindow.restore(JSON.parse(JSON.stringify(a.snapshot())));
  expect(b.snapshot().scalars).toEqual(a.snapshot().scalars);
  a.add(pts.slice(half));
  b.add(pts.slice(half));
  expect(b.endResult()).toEqual(a.endResult());
});
