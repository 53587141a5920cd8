import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { type KafkaMessage } from 'kafkajs';
import { ensureTopics, repoRoot, type GpsPoint, type PartitionBatch, type PointHandler } from '@cotrans/ingest';

const { Kafka, logLevel } = kafkajs;

export const brokers = (): string => inject('kafkaBrokers') ?? process.env.COTRANS_TEST_BROKERS!;

/** Fresh topic names for one test (the broker is shared by all kafka test files). */
export async function freshTopics(name: string, partitions: number): Promise<{ topic: string; dlq: string; group: string }> {
  const tag = `${name}-${randomBytes(3).toString('hex')}`;
  const t = { topic: `test.${tag}.points`, dlq: `test.${tag}.dlq`, group: `test-${tag}` };
  await ensureTopics(brokers(), [
    { topic: t.topic, partitions },
    { topic: t.dlq, partitions: 1 },
  ]);
  return t;
}

/** An in-memory handler: what a vehicle received, in the order received, plus offsets. */
export class MemoryHandler implements PointHandler {
  readonly received = new Map<string, GpsPoint[]>();
  readonly offsets = new Map<string, string>();
  points = 0;
  batches: PartitionBatch[] = [];
  resumeOffset(topic: string, partition: number): string | undefined {
    return this.offsets.get(`${topic}/${partition}`);
  }
  apply(b: PartitionBatch): void {
    for (const v of b.vehicles) {
      let g = this.received.get(v.vehicleId);
      if (!g) this.received.set(v.vehicleId, (g = []));
      g.push(...v.points);
      this.points += v.points.length;
    }
    this.offsets.set(`${b.topic}/${b.partition}`, b.nextOffset);
    this.batches.push({ ...b, vehicles: [] });
  }
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads `n` messages of a topic from the start with a throwaway group. */
export async function readTopic(topic: string, n: number, timeoutMs = 60_000): Promise<(KafkaMessage & { partition: number })[]> {
  const kafka = new Kafka({ brokers: [brokers()], logLevel: logLevel.NOTHING });
  const c = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}` });
  const out: (KafkaMessage & { partition: number })[] = [];
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async ({ message, partition }) => void out.push({ ...message, partition }) });
  try {
    await until(() => out.length >= n, timeoutMs, `${n} messages on ${topic} (have ${out.length})`);
  } finally {
    await c.disconnect();
  }
  return out;
}

/** The built CLI (npm test builds first; run `npx tsc -b` after changing sources). */
export function cliBin(): string {
  const bin = join(repoRoot(), 'cli', 'bin', 'cotrans.js');
  if (!existsSync(join(repoRoot(), 'cli', 'dist', 'main.js'))) throw new Error('the CLI is not built: run `npm run build` (or npx tsc -b) first');
  return bin;
}

