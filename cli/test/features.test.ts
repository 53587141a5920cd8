// `cotrans features` end to end, in-process from the CLI sources (no build needed): a small CSV
// log this test writes -> features.csv and PNGs; user errors exit 1 with a message naming the option.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CSV_HEADER, parseFeaturesCsv, readPng } from '@cotrans/features';
import { commuter, taxi } from '../../features/test/synth.js';
import { run as cli } from './helpers/run.js';

let dir = '';
let log = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cotrans-features-cli-'));
  log = join(dir, 'points.csv');
  const pts = [...commuter('c1', { days: 3, faults: true }), ...taxi('t1', { days: 3 }), ...commuter('few', { days: 1 }).slice(0, 5)].sort((a, b) => a.ts - b.ts);
  await writeFile(log, 'vehicle_id,timestamp,lat,lon\n' + pts.map((p) => `${p.vehicleId},${p.ts},${p.lat.toFixed(6)},${p.lon.toFixed(6)}`).join('\n') + '\nc1,not-a-time,1,2\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('writes one row per vehicle (flagged ones included), PNGs, and a cleaning summary', async () => {
  const out = join(dir, 'features.csv');
  const img = join(dir, 'img');
  const r = await cli(['features', log, '--tz', 'Europe/Berlin', '--out', out, '--images', img, '--image-size', '32']);
  expect(r.err).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/features: 3 vehicle\(s\)/);
  expect(r.out).toMatch(/skipped 1 bad line/);
  expect(r.out).toMatch(/exact duplicates \d+/);
  expect(r.out).toMatch(/flagged: 1 \(few: too_few_points;one_active_day\)/);
  const text = await readFile(out, 'utf8');
  expect(text.split('\n')[0]).toBe(CSV_HEADER.join(','));
  const rows = parseFeaturesCsv(text, out);
  expect(rows.map((x) => x.vehicleId)).toEqual(['c1', 'few', 't1']);
  expect((await readdir(join(img, 'c1'))).sort()).toEqual(['2024-03-04.png', '2024-03-05.png', '2024-03-06.png', 'aggregate.png']);
  const png = await readPng(join(img, 't1', 'aggregate.png'));
  expect([png.width, png.channels]).toEqual([32, 1]);
});

test('user errors exit 1 and name the option', async () => {
  const out = join(dir, 'x.csv');
  const noTz = await cli(['features', log, '--out', out]);
  expect(noTz.code).toBe(1);
  expect(noTz.err).toMatch(/missing --tz/);
  const badTz = await cli(['features', log, '--out', out, '--tz', 'Nowhere/Land']);
  expect(badTz.code).toBe(1);
  expect(badTz.err).toMatch(/invalid --tz 'Nowhere\/Land'/);
  const badFrame = await cli(['features', log, '--out', out, '--tz', 'UTC', '--frame', 'globe']);
  expect(badFrame.err).toMatch(/invalid --frame 'globe'/);
  const badBbox = await cli(['features', log, '--out', out, '--tz', 'UTC', '--frame', 'city', '--bbox', '1,2,3']);
  expect(badBbox.err).toMatch(/invalid --bbox '1,2,3'/);
  const noOut = await cli(['features', log, '--tz', 'UTC']);
  expect(noOut.err).toMatch(/missing required option --out/);
  const missing = await cli(['features', join(dir, 'nope.csv'), '--tz', 'UTC', '--out', out]);
  expect(missing.code).toBe(1);
  expect(missing.err).toMatch(/nope.csv/);
});

test('city frame without --bbox takes the extent from the data', async () => {
  const out = join(dir, 'city.csv');
  const r = await cli(['features', log, '--tz', 'Europe/Berlin', '--out', out, '--frame', 'city', '--images', join(dir, 'cityimg')]);
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/city frame bbox from the data: 13\.\d+,52\.\d+,13\.\d+,52\.\d+/);
});
