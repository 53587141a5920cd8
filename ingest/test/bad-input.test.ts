// Bad input at the readers: a huge line is refused at once, non-decimal numbers are no numbers,
// messages quote cut and escaped excerpts, and the counts add up.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '@cotrans/core';
import { decodeMessage, readAllPoints, readPoints } from '@cotrans/ingest';

let dir: string;
const w = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const now = Date.UTC(2026, 5, 1);
const HEAD = 'vehicle_id,timestamp,lat,lon\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-bad-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('long lines', () => {
  test('a 200 MB line is refused after reading little more than the 1 MiB bound, naming file:line', async () => {
    const f = join(dir, 'huge.csv');
    writeFileSync(f, HEAD + 'car-1,1767571200,52.1,13.1\n');
    truncateSync(f, 200 * 1024 * 1024); // line 3: 200 MB of NUL bytes (a sparse file)
    let read = 0;
    const reader = readPoints(f, { now, onProgress: (b) => (read = b) });
    const err = await (async () => {
      for await (const _ of reader) void _;
    })().catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`${f}:3: line longer than 1048576 bytes (not a log file? a log line is a few hundred bytes)`);
    expect(read).toBeLessThan(2 * 1024 * 1024);
  });

  test('the same inside gzip, under --strict or not, and in a directory of logs', async () => {
    const f = w('huge.jsonl.gz', gzipSync(Buffer.concat([Buffer.from('{"vehicle_id":"a","timestamp":1767571200,"lat":1,"lon":2}\n'), Buffer.alloc(3 * 1024 * 1024, 'x')])));
    await expect(readAllPoints(f, { now })).rejects.toThrow(`${f}:2: line longer than 1048576 bytes`);
    await expect(readAllPoints(f, { now, strict: true })).rejects.toThrow(`${f}:2: line longer`);
  });

  test('a line just under the bound is read (and skipped as bad, with a short reason)', async () => {
    const f = w('long.csv', HEAD + `car-1,1767571200,52.1,13.1\ncar-2,${'9'.repeat(1024 * 1024 - 100)},52.1,13.1\n`);
    const { points, summary } = await readAllPoints(f, { now });
    expect(points).toHaveLength(1);
    expect(summary.skipped).toBe(1);
    expect(summary.samples[0].length).toBeLessThan(300);
  });
});

describe('numbers and echoes', () => {
  test('0x34, 0b11, 0o7 and Infinity are not coordinates, under --strict or not', async () => {
    const f = w('hex.csv', HEAD + 'car-1,1767571200,0x34,0x0d\ncar-1,1767571260,0b110100,13\ncar-1,1767571320,0o64,13\ncar-1,1767571380,Infinity,13\n"car-1",1767571440,"0x34",13\ncar-1,1767571500,52.5,13.5\n');
    const { points, summary } = await readAllPoints(f, { now });
    expect(points).toEqual([{ vehicleId: 'car-1', ts: 1767571500000, lat: 52.5, lon: 13.5 }]);
    expect(summary.skipped).toBe(5);
    await expect(readAllPoints(f, { now, strict: true })).rejects.toThrow(`${f}:2: lat is not a finite number (NaN)`);
  });

  test('binary garbage and huge values are quoted cut and escaped', async () => {
    const bin = Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0xff, 0xfe, 0x00, 0x41, 0x0a]);
    const f = w('what.txt', Buffer.concat([bin, bin]));
    const err = await readAllPoints(f).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).not.toMatch(/[\u0000-\u0008\u001b\u007f\ufffd]/); // eslint-disable-line no-control-regex
    expect(err.message).toContain('\\x1b[2J\\x07');
    const j = w('bad.jsonl', `{"vehicle_id":"${'y'.repeat(500_000)}\n`);
    const r = await readAllPoints(j, { now });
    expect(r.summary.skipped).toBe(1);
    expect(r.summary.samples[0].length).toBeLessThan(300);
    const labels = w('ts.csv', HEAD + `car-1,${'\u0007'.repeat(100)}2026,52,13\n`);
    const t = await readAllPoints(labels, { now });
    expect(t.summary.samples[0]).toMatch(/unreadable timestamp '(\\x07)+/);
    expect(t.summary.samples[0].length).toBeLessThan(300);
    expect(decodeMessage('k', Buffer.alloc(100_000, 0xff)).reasons[0].length).toBeLessThan(200);
  });

  test('an unclosed quote is a bad line with its reason', async () => {
    const f = w('quote.csv', HEAD + '"car-1,1767571200,52.1,13.1\ncar-1,1767571260,52.1,13.1\n');
    const { points, summary } = await readAllPoints(f, { now });
    expect(points).toHaveLength(1);
    expect(summary.samples).toEqual([`${f}:2: a quoted field is never closed`]);
  });
});

describe('counts', () => {
  test('lines read = points kept + lines skipped + headers and blank lines', async () => {
    const f = w('mixed.csv', HEAD + '\ncar-1,1767571200,52.1,13.1\ncar-1,x,52.1,13.1\n\n  \ncar-2,1767571200,95,13.1\ncar-2,1767571200,52,13\n');
    const { summary } = await readAllPoints(f, { now });
    expect(summary).toMatchObject({ lines: 8, points: 2, skipped: 2, ignored: 4 });
    expect(summary.points + summary.skipped + summary.ignored).toBe(summary.lines);
  });
});
