// SqliteWindowStore on a real SQLite file: a simulated fleet fed in consumer-shaped partition
// batches, with a close/reopen midway, gives the batch pass's features and images exactly; a
// redelivered batch changes nothing; a failed write leaves memory as the file has it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { groupByVehicle, SqlitePointStore, type GpsPoint, type PartitionBatch } from '@cotrans/ingest';
import { generateFleet } from '@cotrans/fixtures';
import { computeFleet, SqliteWindowStore, type FleetResult } from '@cotrans/features';
import { rng } from './synth.js';

const PARTITIONS = 3;
const TOPIC = 'gps.points';

/** Consumer-shaped batches: vehicles hashed to partitions, random batch sizes, offsets per partition. */
function partitionBatches(chunks: GpsPoint[][], seed: number): PartitionBatch[] {
  const r = rng(seed);
  const part = (id: string) => [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % PARTITIONS;
  const next = new Array<number>(PARTITIONS).fill(0);
  const out: PartitionBatch[] = [];
  const all = chunks.flat();
  const byPart: GpsPoint[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const p of all) byPart[part(p.vehicleId)].push(p);
  // interleave the partitions the way fetches arrive: a slice of one, then of another
  const pos = new Array<number>(PARTITIONS).fill(0);
  while (pos.some((x, i) => x < byPart[i].length)) {
    const p = Math.floor(r() * PARTITIONS);
    if (pos[p] >= byPart[p].length) continue;
    const n = 1 + Math.floor(r() * 3000);
    const pts = byPart[p].slice(pos[p], pos[p] + n);
    pos[p] += pts.length;
    const vehicles = groupByVehicle(pts);
    const first = next[p];
    next[p] += vehicles.length; // one message per vehicle group
    out.push({ topic: TOPIC, partition: p, firstOffset: String(first), nextOffset: String(next[p]), vehicles, messages: vehicles.length, points: pts.length, deadLetters: 0, rejectedPoints: 0 });
  }
  return out;
}

function expectSameFleet(got: FleetResult, want: FleetResult): void {
  expect(got.features.map((f) => f.vehicleId)).toEqual(want.features.map((f) => f.vehicleId));
  // exact equality, NaN included
  expect(got.features).toEqual(want.features);
  expect(got.cleaning).toEqual(want.cleaning);
  expect([...got.cleaningByVehicle]).toEqual([...want.cleaningByVehicle]);
  expect([...got.images.keys()]).toEqual([...want.images.keys()]);
  for (const [id, w] of want.images) {
    const g = got.images.get(id)!;
    expect(g.dayKeys, id).toEqual(w.dayKeys);
    expect(g.days.map((d) => Array.from(d)), id).toEqual(w.days.map((d) => Array.from(d)));
    expect(Array.from(g.aggregate), id).toEqual(Array.from(w.aggregate));
  }
}

describe('SqliteWindowStore (real SQLite file)', () => {
  const fleet = generateFleet({ preset: 'target', vehicles: 16, days: 3, seed: 21, sharedShare: 0.4 });
  const tz = fleet.city.tz;
  const chunks: GpsPoint[][] = [...fleet.points()];
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const batches = partitionBatches(chunks, 4);
  let dir: string;
  let ref: FleetResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cotrans-window-store-'));
    ref = await computeFleet(chunks, { tz });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the fixture is not trivial', () => {
    // every vehicle that drove in the three days (private cars idle on about half their days)
    expect(ref.features).toHaveLength(new Set(chunks.flat().map((p) => p.vehicleId)).size);
    expect(ref.features.length).toBeGreaterThan(8);
    expect(total).toBeGreaterThan(20_000);
    expect(batches.length).toBeGreaterThan(10);
    expect(ref.cleaning.late).toBe(0);
    expect(ref.cleaning.jumps + ref.cleaning.exactDuplicates + ref.cleaning.nearDuplicates).toBeGreaterThan(0);
    expect(ref.features.filter((f) => f.flags.length === 0).length).toBeGreaterThan(7);
  });

  test('fed in partition batches, closed and reopened midway (windows restored from the file), it equals the batch pass', () => {
    const file = join(dir, 'reopen.sqlite');
    const half = Math.floor(batches.length / 2);
    let s = new SqliteWindowStore(file, { tz });
    for (const b of batches.slice(0, half)) s.apply(b);
    const before = s.results();
    const vehiclesBefore = s.vehicles;
    s.close();

    s = new SqliteWindowStore(file); // options come from the file
    expect(s.opts.tz).toBe(tz);
    expect(s.vehicles).toBe(vehiclesBefore);
    expectSameFleet(s.results(), before);
    for (let p = 0; p < PARTITIONS; p++) {
      const last = batches.slice(0, half).filter((b) => b.partition === p).at(-1);
      expect(s.resumeOffset(TOPIC, p)).toBe(last?.nextOffset);
    }
    for (const b of batches.slice(half)) s.apply(b);
    expectSameFleet(s.results(), ref);
    expect(s.cleaning().input).toBe(total);
    expect(s.counters()).toEqual({ batches: batches.length, messages: batches.reduce((a, b) => a + b.messages, 0), points: total, deadLetters: 0, rejectedPoints: 0 });
    s.close();
  });

  test('a redelivered batch (offset already stored) changes nothing, in memory or in the file; a straddling one is refused', () => {
    const file = join(dir, 'replay.sqlite');
    const s = new SqliteWindowStore(file, { tz });
    for (const b of batches) s.apply(b);
    const counters = s.counters();
    const offsets = s.db.prepare('SELECT * FROM offsets ORDER BY partition').all();
    const windows = s.db.prepare('SELECT * FROM windows ORDER BY vehicle_id').all();
    for (const b of [batches[0], batches[Math.floor(batches.length / 2)], batches.at(-1)!]) s.apply(b);
    expect(s.counters()).toEqual(counters);
    expect(s.db.prepare('SELECT * FROM offsets ORDER BY partition').all()).toEqual(offsets);
    expect(s.db.prepare('SELECT * FROM windows ORDER BY vehicle_id').all()).toEqual(windows);
    expectSameFleet(s.results(), ref);

    const last = batches.filter((b) => b.partition === 0).at(-1)!;
    // starts below the stored offset, ends above it
    const straddle = { ...last, nextOffset: String(Number(last.nextOffset) + 1) };
    expect(() => s.apply(straddle)).toThrow(/straddles the stored offset/);
    expectSameFleet(s.results(), ref);
    s.close();
  });

  test('a batch whose transaction fails leaves the windows as the file has them; retried, it counts once', () => {
    const file = join(dir, 'busy.sqlite');
    const s = new SqliteWindowStore(file, { tz });
    s.db.pragma('busy_timeout = 0');
    const cut = Math.floor(batches.length / 3);
    for (const b of batches.slice(0, cut)) s.apply(b);
    const before = s.results();
    // another connection holds the write lock: the store's transaction cannot commit
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    expect(() => s.apply(batches[cut])).toThrow(/locked|busy/i);
    expectSameFleet(s.results(), before);
    expect(s.resumeOffset(TOPIC, batches[cut].partition)).toBe(batches.slice(0, cut).filter((b) => b.partition === batches[cut].partition).at(-1)?.nextOffset);
    other.exec('ROLLBACK');
    other.close();
    for (const b of batches.slice(cut)) s.apply(b);
    expectSameFleet(s.results(), ref);
    expect(s.counters().points).toBe(total);
    s.close();
  });

  test('results() can be taken midway without disturbing the windows; keepImages false drops the images', () => {
    const s = new SqliteWindowStore(join(dir, 'midway.sqlite'), { tz, imageSize: 32 });
    for (const [i, b] of batches.entries()) {
      s.apply(b);
      if (i % 7 === 3) s.results({ keepImages: i % 2 === 0 });
    }
    const seen: string[] = [];
    const r = s.results({ keepImages: false, onVehicle: (f, img) => seen.push(`${f.vehicleId}:${img?.size}`) });
    expect(r.images.size).toBe(0);
    expect(seen).toEqual(ref.features.map((f) => `${f.vehicleId}:32`));
    expect(r.features.map((f) => f.values.length)).toEqual(ref.features.map((f) => f.values.length));
    s.close();
  });

  test('a point store file (consume --out) or a corrupt snapshot is refused naming the file, and the file is left as it was', () => {
    const pointStore = join(dir, 'points.sqlite');
    const ps = new SqlitePointStore(pointStore);
    ps.apply(batches[0]);
    ps.close();
    expect(() => new SqliteWindowStore(pointStore, { tz })).toThrow(`${pointStore}: not a window store (it has tables counters, offsets, points, schema_versions, vehicles)`);
    const d = new Database(pointStore, { readonly: true });
    expect(d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()).toEqual(['counters', 'offsets', 'points', 'schema_versions', 'vehicles'].map((name) => ({ name })));
    d.close();

    const file = join(dir, 'corrupt.sqlite');
    const s = new SqliteWindowStore(file, { tz });
    s.apply(batches[0]);
    const victim = batches[0].vehicles[0].vehicleId;
    s.db.prepare('UPDATE windows SET snapshot = ? WHERE vehicle_id = ?').run('{"v":1,', victim);
    s.close();
    const err = (() => {
      try {
        new SqliteWindowStore(file);
      } catch (e) {
        return e as Error & { exitCode?: number };
      }
    })();
    expect(err?.exitCode).toBe(1);
    expect(err?.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '[.]')}: window of vehicle '${victim}' cannot be restored: `));
  });

  test('a file built under other options is refused with exit code 1 naming the option; a new file needs options', () => {
    const file = join(dir, 'opts.sqlite');
    new SqliteWindowStore(file, { tz, windowDays: 7 }).close();
    new SqliteWindowStore(file, { tz }).close(); // the same options once defaults are filled
    const err = (() => {
      try {
        new SqliteWindowStore(file, { tz, windowDays: 5 });
      } catch (e) {
        return e as Error & { exitCode?: number };
      }
    })();
    expect(err?.exitCode).toBe(1);
    expect(err?.message).toBe(`${file}: the windows were built with other feature options: windowDays 7 (stored) vs 5; use a new state file`);
    expect(() => new SqliteWindowStore(file, { imageSize: 32 })).toThrow(`${file}: the windows were built with other feature options: imageSize 24 (stored) vs 32; use a new state file`);
    // options left out come from the file
    const five = join(dir, 'five.sqlite');
    new SqliteWindowStore(five, { tz, windowDays: 5 }).close();
    const s = new SqliteWindowStore(five, { tz, imageSize: 24 });
    expect(s.opts.windowDays).toBe(5);
    s.close();
    expect(() => new SqliteWindowStore(join(dir, 'new.sqlite'))).toThrow(/needs feature options/);
    expect(() => new SqliteWindowStore(join(dir, 'new2.sqlite'), { windowDays: 7 })).toThrow(/needs feature options/);
    expect(() => new SqliteWindowStore(join(dir, 'bad-tz.sqlite'), { tz: 'Mars/Olympus' })).toThrow();
  });
});
