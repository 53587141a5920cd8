// The windows changelog: one compacted record per vehicle (key: vehicle id) holding its window
// snapshot and stream state, in the partition of the points topic the vehicle lives in, with the
// points offset the record reflects in a header. Reading a range of it back restores a partition.
import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka, Message } from 'kafkajs';
import type { WindowSnapshot } from '@cotrans/features';
import type { VehicleState } from './schedule.js';

/** Header: the points offset to resume at once this record's state is restored. */
export const SOURCE_OFFSET_HEADER = 'cotrans-source-offset';

export interface ChangelogValue {
  w: WindowSnapshot;
  s: VehicleState;
}

export function changelogMessage(vehicleId: string, partition: number, value: ChangelogValue, sourceOffset: string): Message {
  return { key: vehicleId, value: JSON.stringify(value), partition, headers: { [SOURCE_OFFSET_HEADER]: sourceOffset } };
}

export interface ChangelogRecord {
  vehicleId: string;
  value: ChangelogValue;
  sourceOffset: bigint;
}

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[v.length - 1] : v)?.toString();
}

/**
 * Reads partitions of the changelog from the given offsets up to (not including) `end`, and
 * returns the last record of each vehicle per partition. A record that cannot be read is an error
 * naming topic/partition@offset: the changelog is ours, so it is damage, not input.
 */
export async function readChangelog(kafka: Kafka, topic: string, ranges: { partition: number; from: bigint; end: bigint }[], timeoutMs = 120_000): Promise<Map<number, Map<string, ChangelogRecord>>> {
  const out = new Map<number, Map<string, ChangelogRecord>>();
  const todo = ranges.filter((r) => r.end > r.from);
  for (const r of ranges) out.set(r.partition, new Map());
  if (!todo.length) return out;
  const groupId = `cotrans-restore-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 8 << 20, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 } });
  const left = new Set(todo.map((r) => r.partition));
  let failure: Error | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((res) => (finish = res));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const r = todo.find((x) => x.partition === batch.partition);
        if (!r || !left.has(r.partition)) return;
        const m = out.get(r.partition)!;
        for (const msg of batch.messages) {
          const off = BigInt(msg.offset);
          if (off < r.from || off >= r.end) continue;
          const id = msg.key?.toString();
          const src = header(msg.headers, SOURCE_OFFSET_HEADER);
          if (id === undefined || src === undefined) {
            failure ??= new Error(`${topic}/${r.partition}@${msg.offset}: changelog record without key or ${SOURCE_OFFSET_HEADER} header`);
            continue;
          }
          if (msg.value === null) {
            m.delete(id);
            continue;
          }
          try {
            m.set(id, { vehicleId: id, value: JSON.parse(msg.value.toString('utf8')) as ChangelogValue, sourceOffset: BigInt(src) });
          } catch (err) {
            failure ??= new Error(`${topic}/${r.partition}@${msg.offset}: changelog record of '${id}' cannot be read: ${(err as Error).message.slice(0, 120)}`);
          }
        }
        if (BigInt(batch.lastOffset()) >= r.end - 1n) {
          left.delete(r.partition);
          if (!left.size) finish();
        }
      },
    });
    for (const r of todo) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<void>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${topic}: restoring partitions ${[...left].join(', ')} took over ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
  if (failure) throw failure;
  return out;
}

/**
 * The changelog range each partition restores: from the offset its store has seen (or the log's
 * start, where compaction or retention has passed it) to the log's end now.
 */
export async function changelogRanges(kafka: Kafka, changelogTopic: string, topic: string, seen: { partition: number; seen: bigint | null }[]): Promise<{ partition: number; from: bigint; end: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  let marks;
  try {
    marks = await admin.fetchTopicOffsets(changelogTopic);
  } finally {
    await admin.disconnect();
  }
  return seen.map(({ partition: p, seen: next }) => {
    const m = marks.find((x) => x.partition === p);
    if (!m) throw new Error(`${changelogTopic} has no partition ${p}: it must have as many partitions as ${topic}`);
    const low = BigInt(m.low);
    const from = next ?? low;
    return { partition: p, from: from < low ? low : from, end: BigInt(m.high) };
  });
}
