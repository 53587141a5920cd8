import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { VehicleWindow, dayStack, pngFromPixels, readPng, toGrey8, writeVehiclePngs, DAY_S } from '@cotrans/features';
import { commuter, BERLIN } from './synth.js';

const pts = commuter('car/1', { faults: true });
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.each([24, 32, 64])('vehicle frame, size %i', (size) => {
  const img = new VehicleWindow('car/1', { tz: 'Europe/Berlin', imageSize: size }).add(pts).result().images!;

  test('one raster per active day plus an aggregate, values in [0, 1]', () => {
    expect(img.size).toBe(size);
    expect(img.days).toHaveLength(7);
    expect(img.dayKeys[0]).toBe('2024-03-04');
    for (const a of [...img.days, img.aggregate]) {
      expect(a).toHaveLength(size * size);
      for (const v of a) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  test('centred on the most visited cell (home), which is the brightest pixel', () => {
    const half = size >> 1;
    const centre = img.aggregate[half * size + half];
    expect(centre).toBe(Math.max(...img.aggregate));
    // a Sunday at home: most of a day in one cell
    const sunday = img.days[6];
    expect(sunday[half * size + half]).toBeGreaterThan(Math.log1p(12 * 3600) / Math.log1p(DAY_S));
  });

  test('work (8 km east, 1 km north) shows on weekdays, right of and above the centre', () => {
    const half = size >> 1;
    const monday = img.days[0];
    let best = -1;
    for (let i = 0; i < monday.length; i++) if (i !== half * size + half && (best < 0 || monday[i] > monday[best])) best = i;
    const row = Math.floor(best / size);
    const col = best % size;
    expect(col - half).toBeGreaterThanOrEqual(7);
    expect(col - half).toBeLessThanOrEqual(9);
    expect(half - row).toBeGreaterThanOrEqual(0);
    expect(half - row).toBeLessThanOrEqual(2);
  });
});

test('city frame: pixels follow the bbox, north up, row 0 and column 0 included', () => {
  const bbox: [number, number, number, number] = [BERLIN.lon - 0.035, BERLIN.lat - 0.02, BERLIN.lon + 0.21, BERLIN.lat + 0.2];
  const img = new VehicleWindow('car/1', { tz: 'Europe/Berlin', frame: 'city', bbox }).add(pts).result().images!;
  expect(img.frame).toBe('city');
  const size = img.size;
  // home is at lat +0.01, lon -0.02: column (0.015/0.245*24) = 1, row ((0.2-0.01)/0.22*24) = 20
  const home = 20 * size + 1;
  expect(img.aggregate[home]).toBe(Math.max(...img.aggregate));
  // a fix in the top-left corner pixel (row 0, column 0) lands in the image
  const corner = new VehicleWindow('z', { tz: 'Europe/Berlin', frame: 'city', bbox }).add([
    { vehicleId: 'z', ts: 1e12, lat: bbox[3] - 1e-4, lon: bbox[0] + 1e-4 },
    { vehicleId: 'z', ts: 1e12 + 60_000, lat: bbox[3] - 1e-4, lon: bbox[0] + 1e-4 },
  ]);
  expect(corner.result().images!.aggregate[0]).toBeGreaterThan(0);
});

test('days as channels', () => {
  const img = new VehicleWindow('car/1', { tz: 'Europe/Berlin' }).add(pts).result().images!;
  const stack = dayStack(img, 8);
  expect(stack).toHaveLength(24 * 24 * 8);
  for (let i = 0; i < 24 * 24; i++) {
    for (let c = 0; c < 7; c++) expect(stack[i * 8 + c]).toBe(img.days[c][i]);
    expect(stack[i * 8 + 7]).toBe(0);
  }
});

test('PNG: 8-bit, one channel, the same pixels read back', async () => {
  const img = new VehicleWindow('car/1', { tz: 'Europe/Berlin' }).add(pts).result().images!;
  const png = await pngFromPixels(img.aggregate, img.size);
  const back = await readPng(png);
  expect(back.channels).toBe(1);
  expect(back.width).toBe(24);
  expect(back.height).toBe(24);
  expect(Array.from(back.pixels)).toEqual(Array.from(toGrey8(img.aggregate)));
  expect(back.pixels.some((v) => v > 0)).toBe(true);

  const dir = await mkdtemp(join(tmpdir(), 'cotrans-img-'));
  dirs.push(dir);
  const files = await writeVehiclePngs(img, dir);
  expect(files).toHaveLength(8);
  expect((await readdir(join(dir, 'car%2F1'))).sort()).toEqual([...img.dayKeys.map((k) => `${k}.png`), 'aggregate.png'].sort());
  const day0 = await readPng(files[0]);
  expect(day0.channels).toBe(1);
  expect(Array.from(day0.pixels)).toEqual(Array.from(toGrey8(img.days[0])));
});

test('stay time across midnight is split between the two local days (parked, unit off)', () => {
  // Berlin 2024-03-04 22:00 local = 21:00 UTC; parked until 02:00 local the next day
  const at = { lat: BERLIN.lat, lon: BERLIN.lon };
  const t0 = Date.UTC(2024, 2, 4, 21, 0);
  const r = new VehicleWindow('p', { tz: 'Europe/Berlin' })
    .add([
      { vehicleId: 'p', ts: t0, ...at },
      { vehicleId: 'p', ts: t0 + 4 * 3600_000, ...at },
    ])
    .result();
  const img = r.images!;
  expect(img.dayKeys).toEqual(['2024-03-04', '2024-03-05']);
  const half = img.size >> 1;
  const expected = Math.fround(Math.log1p(7200) / Math.log1p(DAY_S));
  expect(img.days[0][half * img.size + half]).toBe(expected);
  expect(img.days[1][half * img.size + half]).toBe(expected);
  expect(r.cleaning.gaps).toBe(1);
});

test('the window slides: after three weeks only the last seven local days remain', () => {
  const r = new VehicleWindow('car/1', { tz: 'Europe/Berlin', windowDays: 7 }).add(commuter('car/1', { days: 21 })).result();
  expect(r.images!.dayKeys[0]).toBe('2024-03-18');
  expect(r.images!.dayKeys).toHaveLength(7);
  expect(r.features.values[0]).toBeGreaterThan(0);
});
