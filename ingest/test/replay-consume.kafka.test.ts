// (a) a replay of a generated multi-day log comes out complete and in order per vehicle;
// (c) malformed messages among good ones all land in the DLQ with reasons, the good ones are all processed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { runConsumer, replay, fromDlqMessage, DLQ_HEADERS, type GpsPoint } from '@cotrans/ingest';
import { makeFleet, writeFleetCsvGz, byVehicle } from './helpers/fleet.js';
import { brokers, freshTopics, MemoryHandler, until, readTopic, cliBin } from './helpers/kafka.js';

const run = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-kafka-a-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay and consume through a real broker', () => {
  test('(a) a 4-day log of 12 vehicles replayed by the CLI comes out complete and in time order per vehicle', async () => {
    const fleet = makeFleet({ vehicles: 12, days: 4, intervalS: 60, seed: 7 });
    const file = join(dir, 'fleet.csv.gz');
    writeFleetCsvGz(fleet, file);
    const t = await freshTopics('a', 3);
    const { stdout } = await run(process.execPath, [cliBin(), 'replay', file, '--brokers', brokers(), '--topic', t.topic, '--batch-points', '40']);
    expect(stdout).toMatch(new RegExp(`^replayed ${fleet.length} points in \\d+ messages to ${t.topic.replace(/\./g, '\\.')}`));

    const handler = new MemoryHandler();
    const c = await runConsumer({ brokers: brokers(), groupId: t.group, topic: t.topic, dlqTopic: t.dlq, handler, sessionTimeoutMs: 6000 });
    try {
      await until(() => handler.points >= fleet.length, 90_000, `${fleet.length} points`);
      await c.waitIdle(1500);
    } finally {
      await c.stop();
    }
    const want = byVehicle(fleet);
    expect(handler.points).toBe(fleet.length);
    expect([...handler.received.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [id, pts] of want) expect(handler.received.get(id), id).toEqual(pts);
    expect(c.stats.deadLetters).toBe(0);
    // messages batch points of one vehicle
    expect(c.stats.messages).toBeLessThan(fleet.length / 10);
  });

  test('paced replay: an hour of log at --speed 1800 takes about two seconds', async () => {
    const t = await freshTopics('paced', 1);
    const start = Date.now() - 2 * 3600_000;
    const points = Array.from({ length: 121 }, (_, i) => ({ vehicleId: `p${i % 3}`, ts: start + i * 30_000, lat: 50, lon: 8 }));
    const t0 = performance.now();
    const s = await replay([points], { brokers: brokers(), topic: t.topic, speed: 1800 });
    const secs = (performance.now() - t0) / 1000;
    expect(s.points).toBe(121);
    expect(secs).toBeGreaterThanOrEqual(1.9);
    expect(secs).toBeLessThan(15);
    expect(s.messages).toBeGreaterThan(6); // sent as they fall due, not in one burst (that would be one message per vehicle: 3)
  });

  test('replay --strict stops at the first bad line with file:line: reason and exit 1; lenient skips and reports it', async () => {
    const t = await freshTopics('strict', 1);
    const now = Date.now();
    const file = join(dir, 'bad.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `vehicle_id,timestamp,lat,lon\ncar,${now - 1000},52,13\ncar,${now},95,13\n`);
    const strict = await run(process.execPath, [cliBin(), 'replay', file, '--brokers', brokers(), '--topic', t.topic, '--strict']).catch((e) => e);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(`cotrans replay: ${file}:3: lat 95 out of range [-90, 90]\n`);
    const lenient = await run(process.execPath, [cliBin(), 'replay', file, '--brokers', brokers(), '--topic', t.topic]);
    expect(lenient.stdout).toContain('replayed 1 points in 1 messages');
    expect(lenient.stdout).toContain('skipped 1 bad line(s)');
    expect(lenient.stdout).toContain(`read 3 line(s) of 1 file(s): kept 1 point(s), skipped 1 bad line(s)`);
    expect(lenient.stdout).toContain(`  skipped ${file}:3: lat 95 out of range [-90, 90]`);
  });

  test('(c) 1,000 malformed messages among 2,000 good ones: all in the DLQ with reasons and original bytes; the good all processed', async () => {
    const t = await freshTopics('c', 3);
    const now = Date.now();
    const good: GpsPoint[] = [];
    type Msg = { key: string | null; value: Buffer | string | null; bad?: string };
    const msgs: Msg[] = [];
    for (let i = 0; i < 2000; i++) {
      const p = { vehicleId: `v${i % 17}`, ts: now - 86_400_000 + i * 1000, lat: 48 + (i % 100) / 1000, lon: 11 + (i % 50) / 1000 };
      good.push(p);
      msgs.push({ key: p.vehicleId, value: JSON.stringify(i % 2 ? p : [p]) });
    }
    const kinds: ((i: number) => Msg)[] = [
      (i) => ({ key: 'v1', value: `{"vehicleId":"v1","ts":${now},"lat":1,`.slice(0, 20 + (i % 10)), bad: 'not JSON' }),
      () => ({ key: 'v1', value: JSON.stringify({ vehicleId: 'v1', ts: String(now), lat: 1, lon: 2 }), bad: 'ts must be a number' }),
      () => ({ key: 'v1', value: JSON.stringify({ vehicleId: 'v1', ts: now, lat: 91, lon: 2 }), bad: 'lat 91 out of range' }),
      () => ({ key: 'v1', value: JSON.stringify({ vehicleId: 'v1', ts: now, lat: 1, lon: 'NaN' }), bad: 'lon must be a number' }),
      () => ({ key: 'v2', value: JSON.stringify({ vehicleId: 'v1', ts: now, lat: 1, lon: 2 }), bad: 'does not match the message key' }),
      () => ({ key: 'v1', value: JSON.stringify({ vehicleId: 'v1', ts: now + 2 * 86_400_000, lat: 1, lon: 2 }), bad: 'in the future' }),
      () => ({ key: null, value: JSON.stringify({ vehicleId: 'v1', ts: now, lat: 1, lon: 2 }), bad: 'missing message key' }),
      () => ({ key: 'v1', value: '', bad: 'empty message value' }),
      () => ({ key: 'v1', value: JSON.stringify({ vehicleId: '', ts: now, lat: 1, lon: 2 }), bad: 'vehicleId' }),
      () => ({ key: 'v1', value: JSON.stringify({ vehicleId: 'v1', ts: now, lat: 1, lon: 2, heading: 400 }), bad: 'heading 400 out of range' }),
    ];
    const bads: Msg[] = Array.from({ length: 1000 }, (_, i) => kinds[i % kinds.length](i));
    // interleave: good, good, bad, ...
    const all: Msg[] = [];
    for (let i = 0, b = 0; i < msgs.length; i++) {
      all.push(msgs[i]);
      if (i % 2 === 1) all.push(bads[b++]);
    }
    const kafka = new kafkajs.Kafka({ brokers: [brokers()], logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < all.length; i += 500) {
      await producer.send({ topic: t.topic, messages: all.slice(i, i + 500).map((m) => ({ key: m.key, value: m.value, partition: m.key === null ? 0 : undefined })) });
    }
    await producer.disconnect();

    const handler = new MemoryHandler();
    const c = await runConsumer({ brokers: brokers(), groupId: t.group, topic: t.topic, dlqTopic: t.dlq, handler, sessionTimeoutMs: 6000 });
    try {
      await until(() => c.stats.messages >= all.length, 90_000, `${all.length} messages`);
    } finally {
      await c.stop();
    }
    expect(c.stats.deadLetters).toBe(1000);
    expect(handler.points).toBe(2000);
    const want = byVehicle(good);
    for (const [id, pts] of want) expect(handler.received.get(id), id).toEqual(pts);

    const dlq = await readTopic(t.dlq, 1000);
    expect(dlq).toHaveLength(1000);
    const sentBad = new Map(bads.map((b) => [`${b.key}|${b.value}`, b]));
    for (const m of dlq) {
      const d = fromDlqMessage(m);
      expect(d.topic).toBe(t.topic);
      expect(d.offset).toMatch(/^\d+$/);
      expect(m.headers?.[DLQ_HEADERS.reason]).toBeDefined();
      const sent = sentBad.get(`${m.key?.toString() ?? null}|${m.value?.toString() ?? ''}`);
      expect(sent, `DLQ value ${m.value?.toString()} was sent`).toBeDefined();
      expect(d.reason).toContain(sent!.bad);
    }
    // every kind of reason is counted
    expect(Object.values(c.stats.byReason).reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
