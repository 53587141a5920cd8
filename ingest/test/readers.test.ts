import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readAllPoints, readPoints, detectFormat } from '@cotrans/ingest';
import { UserError } from '@cotrans/core';
import { writeIn } from '@cotrans/testkit';
import { makeFleet, toCsv } from './helpers/fleet.js';

let dir: string;
const w = (name: string, content: string | Buffer) => writeIn(dir, name, content);
const now = Date.UTC(2026, 5, 1);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-readers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('canonical CSV', () => {
  test('columns in any order, extra columns ignored, seconds / ms / ISO timestamps, optional fields', async () => {
    const f = w('a.csv', 'note,lon,timestamp,lat,vehicle_id,heading\n' + 'x,13.4,1767571200,52.5,car-1,90\n' + 'y,13.5,1767571260000,52.6,car-1,\n' + 'z,13.6,2026-01-05T00:02:00+01:00,52.7,car-2,10.5\n');
    const { points, summary } = await readAllPoints(f, { now });
    expect(points).toEqual([
      { vehicleId: 'car-1', ts: 1767571200000, lat: 52.5, lon: 13.4, heading: 90 },
      { vehicleId: 'car-1', ts: 1767571260000, lat: 52.6, lon: 13.5 },
      { vehicleId: 'car-2', ts: Date.UTC(2026, 0, 4, 23, 2), lat: 52.7, lon: 13.6, heading: 10.5 },
    ]);
    expect(summary).toMatchObject({ files: 1, points: 3, skipped: 0, formats: { csv: 1 } });
  });

  test('gzip is transparent, batches keep file order, constant-size batches', async () => {
    const fleet = makeFleet({ vehicles: 5, days: 1, intervalS: 60 });
    const f = w('fleet.csv.gz', gzipSync(toCsv(fleet)));
    const sizes: number[] = [];
    const got = [];
    for await (const b of readPoints(f, { batchSize: 1000, now })) {
      sizes.push(b.length);
      got.push(...b);
    }
    expect(got).toEqual(fleet);
    expect(Math.max(...sizes)).toBe(1000);
  });

  test('lenient mode skips and counts bad lines with file:line samples; strict stops at the first', async () => {
    const f = w('bad.csv', 'vehicle_id,timestamp,lat,lon\ncar,1767571200,52,13\ncar,1767571201,95,13\ncar,notatime,52,13\ncar,1767571203,52\ncar,1767571204,NaN,13\ncar,1767571205,52,13\n');
    const { points, summary } = await readAllPoints(f, { maxSamples: 2, now });
    expect(points.map((p) => p.ts)).toEqual([1767571200000, 1767571205000]);
    expect(summary.skipped).toBe(4);
    expect(summary.samples).toEqual([`${f}:3: lat 95 out of range [-90, 90]`, `${f}:4: unreadable timestamp 'notatime' (expected epoch seconds, epoch ms or ISO 8601 with offset)`]);
    expect(Object.values(summary.byReason).reduce((a, b) => a + b, 0)).toBe(4);
    await expect(readAllPoints(f, { strict: true, now })).rejects.toThrow(new UserError(`${f}:3: lat 95 out of range [-90, 90]`));
  });

  test('a missing column, an empty file, a truncated gzip, an unknown format: each its own message', async () => {
    const missing = w('missing.csv', 'vehicle_id,timestamp,lat\ncar,1,2\n');
    await expect(readAllPoints(missing)).rejects.toThrow(`${missing}:1: missing column 'lon' (header: vehicle_id,timestamp,lat)`);
    const empty = w('empty.csv', '');
    await expect(readAllPoints(empty)).rejects.toThrow(`${empty}: empty file (no data lines)`);
    const headerOnly = w('header.csv', 'vehicle_id,timestamp,lat,lon\n');
    await expect(readAllPoints(headerOnly)).rejects.toThrow(`${headerOnly}: empty file (a header but no data lines)`);
    const whole = gzipSync(toCsv(makeFleet({ vehicles: 3, days: 1, intervalS: 30 })));
    const trunc = w('trunc.csv.gz', whole.subarray(0, Math.floor(whole.length * 0.6)));
    await expect(readAllPoints(trunc, { now })).rejects.toThrow(/trunc\.csv\.gz: truncated gzip \(the compressed stream ends early, after line \d+\)/);
    const unknown = w('what.txt', 'hello world\n');
    await expect(readAllPoints(unknown)).rejects.toThrow(/what\.txt: unknown format \(first line 'hello world'/);
    await expect(readAllPoints(join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv: no such file or directory/);
    const err = await readAllPoints(empty).catch((e) => e);
    expect(err.exitCode).toBe(1);
  });

  test('naive times are an error unless read as UTC (e.g. the GeoLife sample CSV)', async () => {
    const f = w('naive.csv', 'lat,lng,datetime,uid\n39.98,116.31,2008-10-23 05:53:05,001\n');
    await expect(readAllPoints(f, { strict: true })).rejects.toThrow(/:2: timestamp '2008-10-23 05:53:05' has no UTC offset/);
    const { points } = await readAllPoints(f, { naiveTime: 'utc' });
    expect(points).toEqual([{ vehicleId: '001', ts: Date.UTC(2008, 9, 23, 5, 53, 5), lat: 39.98, lon: 116.31 }]);
  });
});

describe('other formats', () => {
  test('JSONL with the same fields', async () => {
    const f = w('p.jsonl', '{"vehicle_id":"a","timestamp":1767571200,"lat":1,"lon":2,"speed_kmh":3}\n\n{"vehicleId":"b","ts":"2026-01-05T00:00:00Z","lat":1,"lon":2}\n[1]\n');
    const { points, summary } = await readAllPoints(f, { now });
    expect(points).toEqual([
      { vehicleId: 'a', ts: 1767571200000, lat: 1, lon: 2, speedKmh: 3 },
      { vehicleId: 'b', ts: 1767571200000, lat: 1, lon: 2 },
    ]);
    expect(summary.samples).toEqual([`${f}:4: a line must be a JSON object`]);
  });

  test('a GeoLife tree: Data/<user>/Trajectory/*.plt, times in GMT', async () => {
    const head = 'Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n';
    w('geo/Data/010/Trajectory/20081023025304.plt', head + '39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04\n39.984683,116.31845,0,492,39744.1202546296,2008-10-23,02:53:10\n');
    w('geo/Data/011/Trajectory/20090101000000.plt.gz', gzipSync(head + '40.0,116.0,0,100,39814.0,2009-01-01,00:00:00\n'));
    const { points, summary } = await readAllPoints(join(dir, 'geo'), { now });
    expect(points).toEqual([
      { vehicleId: '010', ts: Date.UTC(2008, 9, 23, 2, 53, 4), lat: 39.984702, lon: 116.318417 },
      { vehicleId: '010', ts: Date.UTC(2008, 9, 23, 2, 53, 10), lat: 39.984683, lon: 116.31845 },
      { vehicleId: '011', ts: Date.UTC(2009, 0, 1), lat: 40, lon: 116 },
    ]);
    expect(summary.formats).toEqual({ geolife: 2 });
  });

  test('Cabspotting new_<cab>.txt and T-Drive (Beijing time)', async () => {
    // as distributed: newest first; read oldest first
    const cab = w('cabs/new_abboip.txt', '37.75134 -122.39488 0 1213084687\n37.75136 -122.39527 1 1213084659\n37.7 -122.3 1 1213084600\n');
    expect((await readAllPoints(cab, { now })).points).toEqual([
      { vehicleId: 'abboip', ts: 1213084600000, lat: 37.7, lon: -122.3 },
      { vehicleId: 'abboip', ts: 1213084659000, lat: 37.75136, lon: -122.39527 },
      { vehicleId: 'abboip', ts: 1213084687000, lat: 37.75134, lon: -122.39488 },
    ]);
    const td = w('tdrive/1.txt', '1,2008-02-02 15:36:08,116.51172,39.92123\n1,2008-02-02 15:46:08,116.51135,39.93883\n');
    const { points, summary } = await readAllPoints(td, { now });
    expect(summary.formats).toEqual({ tdrive: 1 });
    expect(points[0]).toEqual({ vehicleId: '1', ts: Date.UTC(2008, 1, 2, 7, 36, 8), lat: 39.92123, lon: 116.51172 });
  });

  test("order: 'time' merges per-vehicle files by timestamp (paced replay of Cabspotting-like trees)", async () => {
    const lines = (ts: number[]) => ts.map((t) => `37.7 -122.4 0 ${t}`).join('\n') + '\n';
    w('merge/new_a.txt', lines([1213084600, 1213084660, 1213084720, 1213084780]));
    w('merge/new_b.txt', lines([1213084500, 1213084690, 1213084700]));
    w('merge/new_c.txt.gz', gzipSync(lines([1213084650, 1213084900])));
    const inFileOrder = (await readAllPoints(join(dir, 'merge'), { now })).points.map((p) => p.vehicleId).join('');
    expect(inFileOrder).toBe('aaaabbbcc');
    const r = await readAllPoints(join(dir, 'merge'), { now, order: 'time', batchSize: 4 });
    expect(r.points.map((p) => `${p.vehicleId}${p.ts / 1000 - 1213084500}`)).toEqual(['b0', 'a100', 'a160', 'c150', 'b190', 'b200', 'a220', 'a280', 'c400'].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    expect(r.summary).toMatchObject({ files: 3, points: 9, skipped: 0 });
  });

  test('format detection by name and first line', () => {
    expect(detectFormat('x/new_abc.txt', '37.7 -122.3 0 1213084687')).toBe('cabspotting');
    expect(detectFormat('x/1.txt', '1,2008-02-02 15:36:08,116.51172,39.92123')).toBe('tdrive');
    expect(detectFormat('x/a.plt', 'Geolife trajectory')).toBe('geolife');
    expect(detectFormat('x/a.gz', '{"vehicle_id":"a"}')).toBe('jsonl');
    expect(detectFormat('x/a.csv', 'timestamp,lat,lon,vehicle_id')).toBe('csv');
    expect(detectFormat('x/a.txt', 'a,b,c')).toBeUndefined();
    expect(detectFormat('x/a.csv', 'a,b,c')).toBe('csv');
  });

  test('a directory skips an empty file in lenient mode, with a sample; strict stops', async () => {
    w('mixed/a.csv', 'vehicle_id,timestamp,lat,lon\ncar,1767571200,52,13\n');
    w('mixed/b.csv', '');
    const { points, summary } = await readAllPoints(join(dir, 'mixed'), { now });
    expect(points).toHaveLength(1);
    expect(summary.samples).toEqual([`${join(dir, 'mixed', 'b.csv')}: empty file (no data lines)`]);
    await expect(readAllPoints(join(dir, 'mixed'), { strict: true, now })).rejects.toThrow(/b\.csv: empty file/);
  });
});

describe('real public logs in ../shared/data/real (skipped when absent)', () => {
  const real = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'real');
  const cabs = join(real, 'cabspotting-week');
  const geo = join(real, 'geolife-sample', 'geolife_sample.txt.gz');
  test.skipIf(!existsSync(cabs))('Cabspotting week: 50 cabs, 330,646 fixes, no bad line', async () => {
    const r = readPoints(cabs);
    const ids = new Set<string>();
    let n = 0;
    for await (const b of r) {
      for (const p of b) ids.add(p.vehicleId);
      n += b.length;
    }
    expect(n).toBe(330_646);
    expect(ids.size).toBe(50);
    expect(r.summary.skipped).toBe(0);
  });
  test.skipIf(!existsSync(geo))('GeoLife sample CSV (lat,lng,datetime,uid; UTC): 217,653 fixes of 2 users', async () => {
    const r = readPoints(geo, { naiveTime: 'utc' });
    const ids = new Set<string>();
    for await (const b of r) for (const p of b) ids.add(p.vehicleId);
    expect(r.summary.points).toBe(217_653);
    expect([...ids].sort()).toEqual(['001', '005']);
  });
});
