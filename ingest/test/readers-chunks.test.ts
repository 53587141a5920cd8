// The readers parse a chunk of text at a time; where the chunks happen to end must never show:
// the same file read through tiny chunks (every line, CRLF and multi-byte character split at every
// place) gives the same points, the same summary and the same "file:line: reason" as one big chunk.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readAllPoints, readPoints, parseTimestamp, type ReadOptions } from '@cotrans/ingest';
import { UserError } from '@cotrans/core';
import { writeIn } from '@cotrans/testkit';
import { makeFleet, toCsv } from './helpers/fleet.js';

let dir: string;
const w = (name: string, content: string | Buffer) => writeIn(dir, name, content);
const now = Date.UTC(2026, 5, 1);
const TINY = [1, 2, 3, 5, 7, 13, 64];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-chunks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Points and summary of a read with the given chunk size. */
const read = (f: string, chunkBytes: number | undefined, o: ReadOptions = {}) => readAllPoints(f, { now, chunkBytes, ...o });

async function sameAtEveryChunkSize(f: string, o: ReadOptions = {}) {
  const ref = await read(f, undefined, o);
  for (const c of TINY) {
    const got = await read(f, c, o);
    expect(got.points, `chunkBytes ${c}`).toEqual(ref.points);
    expect(got.summary, `chunkBytes ${c}`).toEqual(ref.summary);
  }
  return ref;
}

// A canonical CSV with everything at once: a BOM, CRLF and LF line ends, blank lines, a quoted field,
// multi-byte vehicle ids, bad lines of several kinds, ISO / seconds / ms timestamps, padded fields,
// and a last line without a newline.
const MESSY =
  '\uFEFFvehicle_id,timestamp,lat,lon,speed_kmh,heading\r\n' +
  'café-1,1767571200,52.5,13.4,12.5,90\r\n' + // line 2
  'café-1,1767571260000,52.51,13.41,,\n' + // 3
  '\n' + // 4 blank
  'ü-2,2026-01-05T00:02:00+01:00,52.7,13.6,0,10.5\r\n' + // 5
  'ü-2,2026-01-05T00:03:00.5Z,52.7,13.6,,\n' + // 6
  'x,1767571300,95,13,,\n' + // 7 lat out of range
  'x,notatime,52,13,,\n' + // 8 bad time
  'x,1767571301,52\n' + // 9 too few fields
  '"quoted, id",1767571302,52.1,13.1,,\n' + // 10
  ' padded , 1767571303 , 52.2 , 13.2 ,,\n' + // 11
  'y,1767571304,-0.0,1e1,,\n' + // 12 exponent: the general number path
  'y,1767571305,52.123456789012345,13.000000000000001,,\n' + // 13 more digits than the fast path takes
  '日本,1767571306,35.6,139.7,,359.9'; // 14, no newline

describe('chunk boundaries never show', () => {
  test('a messy CSV (BOM, CRLF, blank, quoted, multi-byte, bad lines, no final newline): plain and gzip', async () => {
    const f = w('messy.csv', MESSY);
    const ref = await sameAtEveryChunkSize(f);
    expect(ref.points.map((p) => p.vehicleId)).toEqual(['café-1', 'café-1', 'ü-2', 'ü-2', 'quoted, id', 'padded', 'y', 'y', '日本']);
    expect(ref.points[3].ts).toBe(Date.UTC(2026, 0, 5, 0, 3, 0, 500));
    expect(ref.points[6]).toEqual({ vehicleId: 'y', ts: 1767571304000, lat: -0, lon: 10 });
    expect(ref.points[7]).toMatchObject({ lat: Number('52.123456789012345'), lon: Number('13.000000000000001') });
    expect(ref.points[8]).toEqual({ vehicleId: '日本', ts: 1767571306000, lat: 35.6, lon: 139.7, heading: 359.9 });
    expect(ref.summary).toMatchObject({ lines: 14, points: 9, skipped: 3 });
    expect(ref.summary.samples).toEqual([
      `${f}:7: lat 95 out of range [-90, 90]`,
      `${f}:8: unreadable timestamp 'notatime' (expected epoch seconds, epoch ms or ISO 8601 with offset)`,
      `${f}:9: expected at least 4 fields, got 3`,
    ]);
    const gz = w('messy.csv.gz', gzipSync(MESSY));
    const fromGz = await sameAtEveryChunkSize(gz);
    expect(fromGz.points).toEqual(ref.points);
    expect(fromGz.summary.samples).toEqual(ref.summary.samples.map((s) => s.replace(f, gz)));
  });

  test('strict mode names the same line at every chunk size, after handing out the full batches before it', async () => {
    const fleet = makeFleet({ vehicles: 2, days: 1, intervalS: 600 });
    const lines = toCsv(fleet).split('\n');
    lines.splice(201, 0, 'car,1767571300,52,200,,'); // becomes line 202, after 200 points
    const f = w('strict.csv', lines.join('\r\n'));
    for (const c of [undefined, ...TINY]) {
      const seen: number[] = [];
      const err = await (async () => {
        for await (const b of readPoints(f, { now, chunkBytes: c, strict: true, batchSize: 50 })) seen.push(b.length);
      })().catch((e: unknown) => e);
      expect(err, `chunkBytes ${c}`).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(`${f}:202: lon 200 out of range [-180, 180]`);
      expect(seen, `chunkBytes ${c}`).toEqual([50, 50, 50, 50]); // as line by line: the 4th batch is full before the bad line
    }
  });

  test('a generated fleet log through tiny chunks: identical points, batches of the asked size', async () => {
    const fleet = makeFleet({ vehicles: 2, days: 1, intervalS: 120 });
    const f = w('fleet.csv.gz', gzipSync(toCsv(fleet)));
    for (const c of [3, 100, 4096]) {
      const sizes: number[] = [];
      const got = [];
      for await (const b of readPoints(f, { now, chunkBytes: c, batchSize: 333 })) {
        sizes.push(b.length);
        got.push(...b);
      }
      expect(got).toEqual(fleet);
      expect(sizes.slice(0, -1).every((s) => s === 333)).toBe(true);
    }
  });

  test('Cabspotting (single spaces, tabs, padding, bad lines), JSONL with a BOM, GeoLife, T-Drive', async () => {
    const cab = w(
      'cabs/new_abc.txt',
      '37.75134 -122.39488 0 1213084687\r\n37.75136\t-122.39527 1 1213084659\n  37.7 -122.3 1 1213084600 \n\n37.7 -122.3 1\n37.7 -122.3 1 12x\n37.71 -122.31 0 1213084500',
    );
    const c = await sameAtEveryChunkSize(cab);
    expect(c.points.map((p) => p.ts / 1000)).toEqual([1213084500, 1213084600, 1213084659, 1213084687]);
    expect(c.points[2]).toEqual({ vehicleId: 'abc', ts: 1213084659000, lat: 37.75136, lon: -122.39527 });
    expect(c.summary.samples).toEqual([`${cab}:5: expected 4 fields (lat lon occupancy unix_time), got 3`, `${cab}:6: unix_time '12x' is not an integer`]);

    const jl = w('p.jsonl', '\uFEFF{"vehicle_id":"é","timestamp":1767571200,"lat":1,"lon":2}\r\n{"vehicleId":"b","ts":"2026-01-05T00:00:00Z","lat":1,"lon":2}\n[1]');
    const j = await sameAtEveryChunkSize(jl);
    expect(j.points.map((p) => p.vehicleId)).toEqual(['é', 'b']); // the BOM no longer breaks line 1
    expect(j.summary.samples).toEqual([`${jl}:3: a line must be a JSON object`]);

    const head = 'Geolife trajectory\r\nWGS 84\r\nAltitude is in Feet\r\nReserved 3\r\n0,2,255,My Track,0,0,2,8421376\r\n0\r\n';
    const geo = w('geo/Data/010/Trajectory/20081023025304.plt', head + '39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04\r\n39.98,116.31,0,492,39744.12,2008-10-23,02:53:10\r\n');
    const g = await sameAtEveryChunkSize(geo);
    expect(g.points.map((p) => p.ts)).toEqual([Date.UTC(2008, 9, 23, 2, 53, 4), Date.UTC(2008, 9, 23, 2, 53, 10)]);

    const td = w('tdrive/1.txt', '1,2008-02-02 15:36:08,116.51172,39.92123\n1,2008-02-02 15:46:08,116.51135\n1,2008-02-02 15:56:08,116.5,39.9');
    const t = await sameAtEveryChunkSize(td);
    expect(t.points).toHaveLength(2);
    expect(t.summary.samples).toEqual([`${td}:2: expected 4 fields (id,datetime,lon,lat), got 3`]);
  });

  test('progress: the last report is the whole file, at any chunk size', async () => {
    const f = w('progress.csv.gz', gzipSync(toCsv(makeFleet({ vehicles: 3, days: 1, intervalS: 60 }))));
    for (const c of [undefined, 64]) {
      const calls: [number, number][] = [];
      await readAllPoints(f, { now, chunkBytes: c, onProgress: (a, b) => calls.push([a, b]) });
      const [done, total] = calls[calls.length - 1];
      expect(done).toBe(total);
      expect(calls.every(([a], i) => i === 0 || a >= calls[i - 1][0])).toBe(true);
    }
  });
});

describe('fast paths read exactly what the general ones read', () => {
  // a seeded generator, so a failure reproduces
  let seed = 7;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rnd() * 10))).join('');

  test('numbers in CSV fields equal Number() of the field, over many random shapes', async () => {
    const fields: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const sign = pick(['', '-', '+']);
      const int = digits(1 + Math.floor(rnd() * 3));
      const frac = pick(['', '.', '.' + digits(1 + Math.floor(rnd() * 17))]);
      fields.push(sign + int + frac);
    }
    const body = fields.map((x, i) => `v,${1767571200 + i},${Number(x) >= -90 && Number(x) <= 90 ? x : '0'},${x.startsWith('.') ? '0' : '13'},${x.startsWith('-') ? '1' : x}`).join('\n');
    const f = w('numbers.csv', 'vehicle_id,timestamp,lat,lon,speed_kmh\n' + body + '\n');
    const { points } = await readAllPoints(f, { now });
    const expected = fields.map((x) => ({ lat: Number(x) >= -90 && Number(x) <= 90 ? Number(x) : 0, speed: x.startsWith('-') ? 1 : Number(x) })).filter((e) => Number.isFinite(e.speed));
    expect(points.map((p) => p.lat)).toEqual(expected.map((e) => e.lat));
    expect(points.map((p) => p.speedKmh)).toEqual(expected.map((e) => e.speed));
  });

  test('ISO timestamps equal Date.parse over random dates, offsets, fractions and odd fields', () => {
    const pad = (n: number, k = 2) => String(n).padStart(k, '0');
    for (let i = 0; i < 5000; i++) {
      const y = pick([1000, 1969, 1970, 1999, 2000, 2008, 2024, 2026, 2100, 9999]);
      const mo = 1 + Math.floor(rnd() * 12);
      const d = 1 + Math.floor(rnd() * 31); // includes days past the month's end
      const h = Math.floor(rnd() * 25); // includes 24
      const mi = Math.floor(rnd() * 60);
      const s = Math.floor(rnd() * 60);
      const frac = pick(['', '.' + digits(1), '.' + digits(2), '.' + digits(3), '.' + digits(5)]);
      const off = pick(['Z', 'z', '+00:00', '-05:30', '+14:00', '+08:00', '-12:45', '+0800', '+08', '']);
      const sep = pick(['T', ' ']);
      const raw = `${pad(y, 4)}-${pad(mo)}-${pad(d)}${sep}${pad(h)}:${pad(mi)}:${pad(s)}${frac}${off}`;
      // the reference: what the general path hands Date.parse
      let o = off.toUpperCase();
      if (/^[+-]\d{2}$/.test(o)) o += ':00';
      else if (/^[+-]\d{4}$/.test(o)) o = `${o.slice(0, 3)}:${o.slice(3)}`;
      const ref = Date.parse(`${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${frac}${o || 'Z'}`);
      const got = parseTimestamp(raw, 'utc');
      if (Number.isFinite(ref)) expect(got, raw).toBe(ref);
      else expect(got, raw).toMatch(/^invalid date/);
      if (off === '') expect(parseTimestamp(raw), raw).toMatch(/has no UTC offset/);
    }
    expect(parseTimestamp('2026-02-29T00:00:00Z')).toBe(Date.parse('2026-02-29T00:00:00Z')); // as Date.parse rolls it
    expect(parseTimestamp('2024-02-29T12:00:00+01:00')).toBe(Date.UTC(2024, 1, 29, 11));
    expect(parseTimestamp(' 2024-02-29T12:00:00Z ')).toBe(Date.UTC(2024, 1, 29, 12));
  });

  test('numeric timestamps: seconds, ms, fractions, signs, long digit strings', () => {
    for (const s of ['1767571200', '1767571200000', '1767571200.5', '+1767571200', '-100', '0', '00001767571200', '1767571200123456789', '1767571200.1234567890123']) {
      const v = Number(s);
      expect(parseTimestamp(s), s).toBe(Math.abs(v) < 1e11 ? Math.round(v * 1000) : Math.round(v));
    }
    expect(parseTimestamp('1767571200.')).toMatch(/unreadable timestamp/);
    expect(parseTimestamp('.5')).toMatch(/unreadable timestamp/);
    expect(parseTimestamp('')).toBe('empty timestamp');
  });
});
