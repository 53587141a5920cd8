import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { generateFleet } from '@cotrans/fixtures';
import { main } from '../src/main.js';
import { brokers, freshTopics, until } from '../../ingest/test/helpers/kafka.js';

/** Counts points per vehicle on a topic until `total` arrived, checking every message's key. */
async function pointsOnTopic(topic: string, total: number): Promise<Map<string, number>> {
  const kafka = new kafkajs.Kafka({ brokers: [brokers()], logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `count-${randomBytes(4).toString('hex')}` });
  const got = new Map<string, number>();
  let seen = 0;
  const badKeys: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = JSON.parse(message.value!.toString());
      for (const p of Array.isArray(value) ? value : [value]) {
        if (p.vehicleId !== message.key?.toString()) badKeys.push(`${message.key} != ${p.vehicleId}`);
        got.set(p.vehicleId, (got.get(p.vehicleId) ?? 0) + 1);
        seen++;
      }
    },
  });
  try {
    await until(() => seen >= total, 60_000, `${total} points on ${topic} (have ${seen})`);
    await new Promise((r) => setTimeout(r, 500)); // anything beyond `total` would be a duplicate
  } finally {
    await consumer.disconnect();
  }
  expect(badKeys).toEqual([]);
  expect(seen).toBe(total);
  return got;
}

describe('cotrans simulate --to-kafka (real broker)', () => {
  it('streams exactly the simulated points into the topic, keyed by vehicle', async () => {
    const { topic } = await freshTopics('simulate', 3);
    const code = await main(['simulate', '--preset', 'target', '--vehicles', '12', '--days', '1', '--seed', '7', '--to-kafka', '--brokers', brokers(), '--topic', topic]);
    expect(code).toBe(0);

    const expected = new Map<string, number>();
    let total = 0;
    for (const chunk of generateFleet({ preset: 'target', vehicles: 12, days: 1, seed: 7 }).points()) {
      for (const p of chunk) expected.set(p.vehicleId, (expected.get(p.vehicleId) ?? 0) + 1);
      total += chunk.length;
    }
    expect(total).toBeGreaterThan(500);
    expect(await pointsOnTopic(topic, total)).toEqual(expected);
  });

  it('names the broker when it is unreachable (exit 1)', async () => {
    let err = '';
    const e = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      const code = await main(['simulate', '--preset', 'target', '--vehicles', '2', '--days', '1', '--to-kafka', '--brokers', '127.0.0.1:1']);
      expect(code).toBe(1);
    } finally {
      process.stderr.write = e;
    }
    expect(err).toContain('127.0.0.1:1');
  });
});
