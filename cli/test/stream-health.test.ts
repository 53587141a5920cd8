// The stream's health rows: what the writer puts into a store file, the reader gets back.
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, streamHealth, type PartitionBatch } from '@cotrans/ingest';
import { StreamHealthWriter } from '../src/stream/health.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cotrans-health-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const batch = (partition: number, nextOffset: number, highWatermark: number, messages: number, reasons: Record<string, number> = {}): PartitionBatch => ({
  topic: 'gps.points', partition, firstOffset: String(nextOffset - messages), nextOffset: String(nextOffset), vehicles: [], messages, points: messages * 2,
  deadLetters: Object.values(reasons).reduce((a, n) => a + n, 0), rejectedPoints: 0, deadLetterReasons: reasons, highWatermark: String(highWatermark),
});

test('partition lag, dead letters by reason and the member rates round-trip through a store file', () => {
  const file = path.join(dir, 'store.sqlite');
  const db = openStore(file);
  expect(streamHealth(db)).toBeNull();
  const w = new StreamHealthWriter(db, 'g1', 'host:1');
  const t0 = new Date('2026-05-04T08:00:00Z');
  db.transaction(() => w.batch(batch(0, 10, 25, 10, { 'not JSON': 1 }), t0))();
  db.transaction(() => w.batch(batch(1, 4, 4, 4), new Date(t0.getTime() + 2000)))();
  // the same partition again: its row is replaced, the dead letters add up
  db.transaction(() => w.batch(batch(0, 20, 25, 10, { 'not JSON': 2, 'ts: not a number': 1 }), new Date(t0.getTime() + 4000)))();
  db.close();

  const ro = openStore(file, { readonly: true });
  const h = streamHealth(ro)!;
  ro.close();
  expect(h.partitions.map((p) => [p.partition, p.committedOffset, p.highWatermark, p.lag])).toEqual([[0, '20', '25', 5], [1, '4', '4', 0]]);
  expect(h.lag).toEqual({ sum: 5, max: 5 });
  expect(h.members).toHaveLength(1);
  expect(h.members[0]).toMatchObject({ group: 'g1', instance: 'host:1', updatedAt: '2026-05-04T08:00:04.000Z' });
  // 24 messages (48 points) over the 4 s the window spans
  expect(h.messagesPerS).toBeCloseTo(6);
  expect(h.pointsPerS).toBeCloseTo(12);
  expect(h.deadLetters).toEqual([
    { reason: 'not JSON', topic: 'gps.points', partition: 0, count: 3 },
    { reason: 'ts: not a number', topic: 'gps.points', partition: 0, count: 1 },
  ]);
  expect(h.updatedAt).toBe('2026-05-04T08:00:04.000Z');
});

test('the rates count only members that wrote within a minute of the newest write', () => {
  const db = openStore(path.join(dir, 'members.sqlite'));
  const t0 = Date.parse('2026-05-04T08:00:00Z');
  const gone = new StreamHealthWriter(db, 'g1', 'host:1');
  db.transaction(() => gone.batch(batch(0, 100, 100, 100), new Date(t0)))();
  const a = new StreamHealthWriter(db, 'g1', 'host:2');
  const b = new StreamHealthWriter(db, 'g1', 'host:3');
  db.transaction(() => a.batch(batch(0, 110, 110, 10), new Date(t0 + 600_000)))();
  db.transaction(() => b.batch(batch(1, 5, 5, 5), new Date(t0 + 630_000)))();
  const h = streamHealth(db)!;
  db.close();
  expect(h.members.map((m) => m.instance)).toEqual(['host:1', 'host:2', 'host:3']);
  // one batch each: its messages over the window's floor of 1 s
  expect(h.messagesPerS).toBeCloseTo(15);
});

test('a rolled-back batch leaves no health behind', () => {
  const db = openStore(path.join(dir, 'rollback.sqlite'));
  const w = new StreamHealthWriter(db, 'g1', 'host:1');
  expect(() =>
    db.transaction(() => {
      w.batch(batch(0, 10, 12, 10, { 'not JSON': 1 }));
      throw new Error('the batch failed');
    })(),
  ).toThrow('the batch failed');
  expect(streamHealth(db)).toBeNull();
  db.close();
});
