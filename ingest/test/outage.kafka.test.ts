// (d) The broker is stopped for 10 s in the middle of a paced replay and started again: nothing lost.
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, runConsumer, startBroker, stopBroker, SqlitePointStore } from '@cotrans/ingest';
import { makeFleet } from './helpers/fleet.js';
import { brokers, freshTopics, until } from './helpers/kafka.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-kafka-d-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('(d) broker down for 10 s mid-stream: producer and consumer ride it out, nothing is lost', async () => {
  const fleet = makeFleet({ vehicles: 10, days: 2, intervalS: 30, seed: 5 });
  const t = await freshTopics('d', 2);
  const store = new SqlitePointStore(join(dir, 'state.sqlite'));
  const consumer = await runConsumer({ brokers: brokers(), groupId: t.group, topic: t.topic, dlqTopic: t.dlq, handler: store, sessionTimeoutMs: 6000 });
  let progressed = 0;
  // two days of log in ~20 s of wall time
  const replaying = replay([fleet], { brokers: brokers(), topic: t.topic, speed: (2 * 86_400) / 20, maxPointsPerMessage: 50, onProgress: (s) => (progressed = s.points) });
  let restartedAt: number;
  try {
    await until(() => progressed > fleet.length * 0.2, 60_000, 'a fifth of the replay');
    expect(await stopBroker(inject('kafkaHome'))).toBe(true);
    await new Promise((r) => setTimeout(r, 2_000)); // any request in flight at the stop has settled
    const whileDown = progressed;
    await new Promise((r) => setTimeout(r, 8_000));
    expect(progressed).toBe(whileDown); // nothing got through while the broker was down
    await startBroker({ dir: inject('kafkaHome'), port: inject('kafkaPort'), controllerPort: inject('kafkaControllerPort') });
    restartedAt = progressed;
    const stats = await replaying;
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.points).toBe(fleet.length);
    await until(() => (store.counters().points ?? 0) >= fleet.length, 120_000, `all ${fleet.length} points in the state (have ${store.counters().points})`);
  } finally {
    await consumer.stop();
  }
  expect(restartedAt!).toBeLessThan(fleet.length);
  const ids = [...new Set(fleet.map((p) => p.vehicleId))];
  for (const id of ids) expect(store.points(id), id).toEqual(fleet.filter((p) => p.vehicleId === id));
  expect(store.counters().points).toBe(fleet.length);
  store.close();
}, 300_000);
