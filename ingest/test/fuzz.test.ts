// Property and fuzz tests of every reader and of the Kafka message decoder: whatever the bytes, a
// read ends with points + skipped + ignored = lines, or with a UserError (never another exception);
// each point kept is valid; messages stay short; a long line is refused after a bounded read.
// `npm test` runs a small budget; `npm run fuzz` sets FUZZ_SECONDS (e.g. 600) and runs it longer.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '@cotrans/core';
import { decodeMessage, pointProblem, readPoints, type GpsPoint, type ReadOptions } from '@cotrans/ingest';

const PROPERTIES = 6;
const seconds = Number(process.env.FUZZ_SECONDS ?? 0);
/** Per property: a time budget under `npm run fuzz`, else a fixed number of runs. */
const budget = seconds > 0 ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: (seconds * 1000) / PROPERTIES, markInterruptAsFailure: false } : { numRuns: 40 };
const timeout = seconds > 0 ? (seconds * 1000) / PROPERTIES + 60_000 : 60_000;
const now = Date.UTC(2026, 5, 1);

let dir: string;
let n = 0;
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }), 60_000);

/** fc.assert that says, under `npm run fuzz`, how many cases it ran. */
async function fuzz<T>(property: fc.IRawProperty<T>, params: fc.Parameters<T>): Promise<void> {
  const d = await fc.check(property, params);
  if (seconds > 0) process.stderr.write(`fuzz: ${expect.getState().currentTestName}: ${d.numRuns} cases, ${d.failed ? 'FAILED' : 'no failure'}\n`);
  if (d.failed) throw new Error(fc.defaultReportMessage(d) ?? 'property failed');
}

/** Reads a file to its end; the outcome is the points and summary, or the UserError. */
async function outcome(path: string, opts: ReadOptions = {}): Promise<{ points: GpsPoint[]; summary: ReturnType<typeof readPoints>['summary'] } | UserError> {
  const reader = readPoints(path, { now, ...opts });
  const points: GpsPoint[] = [];
  try {
    for await (const b of reader) for (const p of b) points.push(p);
  } catch (err) {
    unlinkSync(path);
    if (err instanceof UserError) {
      expect(err.message.length).toBeLessThan(400);
      return err;
    }
    throw err; // anything else is a bug: the property fails
  }
  unlinkSync(path); // a long run writes hundreds of thousands of files
  return { points, summary: reader.summary };
}

/** The invariants of a finished read. */
function holds(r: Exclude<Awaited<ReturnType<typeof outcome>>, UserError>): void {
  const s = r.summary;
  expect(s.points).toBe(r.points.length);
  expect(s.points + s.skipped + s.ignored).toBe(s.lines);
  for (const p of r.points) expect(pointProblem(p.vehicleId, p.ts, p.lat, p.lon, p.speedKmh, p.heading, { now })).toBeUndefined();
  for (const x of s.samples) expect(x.length).toBeLessThan(400);
}

const NAMES = ['log.csv', 'log.jsonl', 'log.txt', 'new_cab.txt', 'track.plt', 'log.csv.gz'];

// cells a careless or hostile log holds
const hostileCell = fc.oneof(
  fc.constantFrom('', ' ', '"', '""', '","', 'NaN', 'Infinity', '-0', '0x34', '0b11', '1e999', '-1e-999', '1.', '.5', '+5', '١٢', '\u0000', '\u2028', '\ufeff', '52.1', '13.4', '1767571200', '2026-01-05T00:00:00Z', '2026-01-05 00:00:00'),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.double().map(String),
  fc.integer().map(String),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);
const csvLine = fc.array(hostileCell, { minLength: 0, maxLength: 7 }).map((cells) => cells.join(fc.sample(fc.constantFrom(',', ',', ',', ';', '\t'), 1)[0]));

describe('readers under fuzz', () => {
  test(
    'random bytes under any log name: counts add up, or a UserError',
    async () => {
      await fuzz(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom(...NAMES), fc.boolean(), async (bytes, name, strict) => {
          const content = name.endsWith('.gz') ? gzipSync(bytes) : Buffer.from(bytes);
          const r = await outcome(file(name, content), { strict });
          if (!(r instanceof UserError)) holds(r);
        }),
        budget,
      );
    },
    timeout,
  );

  test(
    'a CSV with hostile cells: counts add up, each point kept is valid, under --strict a UserError naming the line',
    async () => {
      await fuzz(
        fc.asyncProperty(fc.array(csvLine, { maxLength: 40 }), fc.constantFrom('\n', '\r\n'), fc.integer({ min: 1, max: 64 }), async (lines, eol, chunk) => {
          const body = ['vehicle_id,timestamp,lat,lon,speed_kmh,heading', ...lines].join(eol);
          const f = file('hostile.csv', body);
          const r = await outcome(f, { chunkBytes: chunk });
          if (r instanceof UserError) expect(r.message).toMatch(/empty file|line longer/);
          else holds(r);
          const g = file('hostile.csv', body);
          const s = await outcome(g, { strict: true });
          if (s instanceof UserError) expect(s.message.startsWith(g)).toBe(true);
        }),
        budget,
      );
    },
    timeout,
  );

  test(
    'a gzip cut or damaged anywhere: the points before the damage, or a UserError',
    async () => {
      const rows = Array.from({ length: 400 }, (_, i) => `car-${i % 7},${1767571200 + i * 30},${(52 + i / 1e4).toFixed(5)},13.4`);
      const whole = gzipSync('vehicle_id,timestamp,lat,lon\n' + rows.join('\n') + '\n');
      await fuzz(
        fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))), async (cut, flip) => {
          const b = Buffer.from(whole.subarray(0, cut));
          if (flip && b.length) b[flip[0] % b.length] ^= flip[1];
          const r = await outcome(file('cut.csv.gz', b));
          if (r instanceof UserError) return;
          holds(r);
          expect(r.points.length).toBeLessThanOrEqual(rows.length);
        }),
        budget,
      );
    },
    timeout,
  );

  test(
    'very long lines anywhere: refused naming their line after a bounded read, or read in full',
    async () => {
      await fuzz(
        fc.asyncProperty(
          fc.array(fc.constantFrom(10, 300, 64 * 1024, 1024 * 1024 - 64, 1024 * 1024 + 1, 3 * 1024 * 1024), { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          async (lengths, gz) => {
            const lines = lengths.map((len, i) => `car-${i},${1767571200 + i},52.1,${'1'.repeat(Math.max(1, len - 25))}`);
            const text = 'vehicle_id,timestamp,lat,lon\n' + lines.join('\n') + '\n';
            const f = file(gz ? 'long.csv.gz' : 'long.csv', gz ? gzipSync(text) : text);
            let read = 0;
            const r = await outcome(f, { onProgress: (b) => (read = Math.max(read, b)) });
            const first = lines.findIndex((l) => Buffer.byteLength(l) > 1024 * 1024);
            if (first === -1) {
              expect(r).not.toBeInstanceOf(UserError);
              holds(r as Exclude<typeof r, UserError>);
            } else {
              expect(r).toBeInstanceOf(UserError);
              expect((r as UserError).message).toContain(`${f}:${first + 2}: line longer than`);
            }
          },
        ),
        seconds > 0 ? budget : { numRuns: 12 },
      );
    },
    timeout,
  );
});

describe('the Kafka message decoder under fuzz', () => {
  const check = (key: Buffer | string | null, value: Buffer | string | null) => {
    const d = decodeMessage(key, value, { now });
    for (const p of d.points) {
      expect(pointProblem(p.vehicleId, p.ts, p.lat, p.lon, p.speedKmh, p.heading, { now })).toBeUndefined();
      expect(p.vehicleId).toBe(String(key));
    }
    for (const r of d.reasons) expect(r.length).toBeLessThan(400);
    expect(d.unreadable).toBe(d.points.length === 0);
    expect(d.rejectedPoints).toBeGreaterThanOrEqual(d.unreadable ? 1 : 0);
    return d;
  };

  test('random JSON: valid points kept, each bad point counted once', async () => {
    const point = fc.record(
      { vehicleId: fc.oneof(fc.constant('car-1'), fc.string({ maxLength: 5 })), ts: fc.oneof(fc.integer({ min: now - 1e10, max: now }), fc.jsonValue()), lat: fc.oneof(fc.double({ min: -91, max: 91 }), fc.jsonValue()), lon: fc.double(), speedKmh: fc.jsonValue(), heading: fc.jsonValue() },
      { requiredKeys: [] },
    );
    await fuzz(
      fc.property(fc.oneof(fc.array(fc.oneof(point, fc.jsonValue()), { maxLength: 30 }), point, fc.jsonValue()), fc.constantFrom('car-1', '', null), (v, key) => {
        const d = check(key, JSON.stringify(v) ?? '');
        if (Array.isArray(v) && v.length && key) expect(d.points.length + d.rejectedPoints).toBe(v.length);
      }),
      seconds > 0 ? budget : { numRuns: 300 },
    );
  }, timeout);

  test('random bytes as key and value', async () => {
    await fuzz(
      fc.property(fc.option(fc.uint8Array({ maxLength: 40 })), fc.option(fc.uint8Array({ maxLength: 2000 })), (k, v) => {
        check(k ? Buffer.from(k) : null, v ? Buffer.from(v) : null);
      }),
      seconds > 0 ? budget : { numRuns: 300 },
    );
  }, timeout);
});
