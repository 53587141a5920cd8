// Streaming features through the real broker: a simulated fleet replayed into a fresh topic, consumed
// by runConsumer into SqliteWindowStore with a stop, a close and a restart (windows restored from the
// file, offsets resumed) between the two halves, gives computeFleet's features and images exactly.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, runConsumer, type GpsPoint } from '@cotrans/ingest';
import { generateFleet } from '@cotrans/fixtures';
import { computeFleet, SqliteWindowStore } from '@cotrans/features';
import { brokers, freshTopics, until } from '../../ingest/test/helpers/kafka.js';
// the broker's provided context (inject('kafkaBrokers')) for the typecheck
import type {} from '../../ingest/test/kafka.global-setup.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-window-store-kafka-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function consumeUntil(store: SqliteWindowStore, t: { topic: string; dlq: string; group: string }, points: number): Promise<{ deadLetters: number; skippedReplayed: number }> {
  const c = await runConsumer({ brokers: brokers(), groupId: t.group, topic: t.topic, dlqTopic: t.dlq, handler: store, sessionTimeoutMs: 6000 });
  try {
    await Promise.race([until(() => store.counters().points >= points, 60_000, `${points} points in the window store`), c.done]);
  } finally {
    await c.stop();
  }
  return { deadLetters: c.stats.deadLetters, skippedReplayed: c.stats.skippedReplayed };
}

describe('SqliteWindowStore behind runConsumer (real broker)', () => {
  test('a replayed fleet, consumed in two runs with a restart between, equals computeFleet on the same points', async () => {
    const fleet = generateFleet({ preset: 'target', vehicles: 12, days: 2, seed: 33, sharedShare: 0.5 });
    const tz = fleet.city.tz;
    const chunks: GpsPoint[][] = [...fleet.points()];
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const half = Math.floor(chunks.length / 2);
    const firstHalf = chunks.slice(0, half).reduce((a, c) => a + c.length, 0);
    const ref = await computeFleet(chunks, { tz });
    expect(ref.features.length).toBeGreaterThan(8);

    const t = await freshTopics('windows', 3);
    const file = join(dir, 'windows.sqlite');
    // small messages, so a run spans many batches and partitions
    const sent1 = await replay(chunks.slice(0, half), { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 50, bufferPoints: 2048 });
    expect(sent1.points).toBe(firstHalf);
    let store = new SqliteWindowStore(file, { tz });
    const run1 = await consumeUntil(store, t, firstHalf);
    expect(store.counters().points).toBe(firstHalf);
    const offsets = [0, 1, 2].map((p) => store.resumeOffset(t.topic, p));
    // the vehicles of the first half may land on fewer than the 3 partitions (private cars idle on some days)
    expect(offsets.some((o) => o !== undefined && Number(o) > 0)).toBe(true);
    store.close();

    const sent2 = await replay(chunks.slice(half), { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 50, bufferPoints: 2048 });
    expect(sent1.points + sent2.points).toBe(total);
    store = new SqliteWindowStore(file, { tz });
    expect(store.vehicles).toBe(new Set(chunks.slice(0, half).flat().map((p) => p.vehicleId)).size); // restored from the file
    const run2 = await consumeUntil(store, t, total);
    try {
      expect(run1.deadLetters + run2.deadLetters).toBe(0);
      const c = store.counters();
      expect(c.points).toBe(total);
      expect(c.messages).toBe(sent1.messages + sent2.messages);

      const got = store.results();
      expect(got.cleaning.late).toBe(0);
      expect(got.features).toEqual(ref.features); // exact, NaN included
      expect(got.cleaning).toEqual(ref.cleaning);
      expect([...got.images.keys()]).toEqual([...ref.images.keys()]);
      for (const [id, w] of ref.images) {
        const g = got.images.get(id)!;
        expect(g.dayKeys, id).toEqual(w.dayKeys);
        expect(g.days.map((d) => Array.from(d)), id).toEqual(w.days.map((d) => Array.from(d)));
        expect(Array.from(g.aggregate), id).toEqual(Array.from(w.aggregate));
      }
    } finally {
      store.close();
    }
  });
});
