// The consumer-group runner: validated per-vehicle batches, in per-vehicle time order, handed to a
// handler that makes its state durable together with the partition's next offset. Offsets are
// committed to Kafka only after that, and messages below the handler's stored offset are skipped,
// so a crash anywhere loses no point and a redelivered message is never applied twice.
import kafkajs, { type Consumer, type Producer, type EachBatchPayload, type KafkaConfig } from 'kafkajs';
import type { GpsPoint } from './point.js';
import { decodeMessage, type ValidateOptions } from './validate.js';
import { toDlqMessage, type DeadLetter } from './dlq.js';
import { TOPICS, parseBrokers } from './kafka/topics.js';

const { Kafka, logLevel } = kafkajs;

export interface VehicleBatch {
  vehicleId: string;
  /** Ascending by ts (stable for equal timestamps). */
  points: GpsPoint[];
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  /** Offset of the first message applied in this batch. */
  firstOffset: string;
  /** Where to resume after this batch: store it with the state, in the same transaction. */
  nextOffset: string;
  vehicles: VehicleBatch[];
  messages: number;
  points: number;
  /** Messages of this batch sent to the dead-letter topic (fully or partly rejected). */
  deadLetters: number;
  /** Points rejected in this batch. */
  rejectedPoints: number;
  /** This batch's dead letters by kind of reason (numbers masked), as in ConsumerStats.byReason. */
  deadLetterReasons?: Record<string, number>;
  /** The partition's high watermark when this batch was fetched: lag = highWatermark - nextOffset. */
  highWatermark?: string;
}

export interface PointHandler {
  /** The next offset to process for a partition, as stored with the handler's state; undefined when none. */
  resumeOffset(topic: string, partition: number): string | undefined | Promise<string | undefined>;
  /** Applies a batch. When it resolves, the state and `batch.nextOffset` must be durable, atomically. */
  apply(batch: PartitionBatch): void | Promise<void>;
  /**
   * The partitions of the topic this member holds after a rebalance (all of them each time).
   * Not awaited: a handler that restores state does it in resumeOffset, which is awaited before
   * the first batch of each partition.
   */
  assigned?(topic: string, partitions: number[]): void;
}

/** TLS and SASL settings of the Kafka client (kafkajs's own shapes). */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

export interface ConsumerOptions {
  brokers: string | string[];
  groupId: string;
  handler: PointHandler;
  topic?: string;
  dlqTopic?: string;
  clientId?: string;
  /** Group session timeout, ms (default 30 s; a crashed member is noticed after this). */
  sessionTimeoutMs?: number;
  /** Fetch size per partition, bytes (default 4 MiB: fewer round trips; the bench measured 1 MiB ~20% slower). */
  maxBytesPerPartition?: number;
  /** Validation options (clock for the future check). */
  validate?: ValidateOptions;
  onBatch?: (batch: PartitionBatch, stats: ConsumerStats) => void;
  /** Warnings (e.g. offsets realigned to the handler's state). */
  log?: (line: string) => void;
  /**
   * Before joining, set the group's offsets to the handler's stored ones (default true). A handler
   * whose state also lives elsewhere (a changelog) turns it off: its store may be behind the truth.
   */
  alignOffsets?: boolean;
  security?: KafkaSecurity;
}

export interface ConsumerStats {
  batches: number;
  messages: number;
  points: number;
  deadLetters: number;
  rejectedPoints: number;
  /** Redelivered messages skipped because the handler's state already holds them. */
  skippedReplayed: number;
  /** Dead letters by kind of reason (numbers masked). */
  byReason: Record<string, number>;
  lastActivity: number;
}

export interface RunningConsumer {
  readonly stats: ConsumerStats;
  /** Settles when the consumer stops: resolves after stop(), rejects on a handler or fatal error. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the consumer has joined its group and no message has arrived for `ms`. */
  waitIdle(ms: number, opts?: { signal?: AbortSignal }): Promise<void>;
}

const reasonKind = (r: string) => r.replace(/'[^']*'/g, "'…'").replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N').replace(/^point N: /, '').slice(0, 80);

/** Groups decoded points by vehicle, each vehicle's points stably sorted by time. */
export function groupByVehicle(points: GpsPoint[]): VehicleBatch[] {
  const m = new Map<string, GpsPoint[]>();
  for (const p of points) {
    let g = m.get(p.vehicleId);
    if (!g) m.set(p.vehicleId, (g = []));
    g.push(p);
  }
  const out: VehicleBatch[] = [];
  for (const [vehicleId, pts] of m) {
    for (let i = 1; i < pts.length; i++) {
      if (pts[i].ts < pts[i - 1].ts) {
        pts.sort((a, b) => a.ts - b.ts); // Array.prototype.sort is stable
        break;
      }
    }
    out.push({ vehicleId, points: pts });
  }
  return out;
}

/**
 * Before joining, makes the group's committed offsets agree with the handler's state (the truth):
 * a partition the state has seen resumes at its stored offset; one it has not seen, at the start.
 * Only possible while the group has no live member; otherwise the skip-below-stored-offset rule
 * still prevents double counting.
 */
async function alignGroupOffsets(kafka: InstanceType<typeof Kafka>, groupId: string, topic: string, handler: PointHandler, log?: (l: string) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state;
    if (state && state !== 'Empty' && state !== 'Dead' && state !== 'Unknown') return;
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
    const watermarks = await admin.fetchTopicOffsets(topic);
    const set: { partition: number; offset: string }[] = [];
    for (const w of watermarks) {
      const c = committed.find((x) => x.partition === w.partition)?.offset ?? '-1';
      const stored = await handler.resumeOffset(topic, w.partition);
      const want = stored ?? (c !== '-1' ? w.low : undefined);
      if (want !== undefined && want !== c) set.push({ partition: w.partition, offset: want });
    }
    if (set.length) {
      log?.(`group ${groupId}: offsets of ${topic} set from the handler's state: ${set.map((s) => `${s.partition}@${s.offset}`).join(', ')}`);
      await admin.setOffsets({ groupId, topic, partitions: set });
    }
  } finally {
    await admin.disconnect();
  }
}

export async function runConsumer(opts: ConsumerOptions): Promise<RunningConsumer> {
  const topic = opts.topic ?? TOPICS.points;
  const dlqTopic = opts.dlqTopic ?? TOPICS.dlq;
  const kafka = new Kafka({
    brokers: parseBrokers(opts.brokers),
    clientId: opts.clientId ?? 'cotrans-consumer',
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
    ...opts.security,
  });
  const { handler } = opts;
  if (opts.alignOffsets ?? true) await alignGroupOffsets(kafka, opts.groupId, topic, handler, opts.log);

  const stats: ConsumerStats = { batches: 0, messages: 0, points: 0, deadLetters: 0, rejectedPoints: 0, skippedReplayed: 0, byReason: {}, lastActivity: Date.now() };
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  const consumer: Consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
    maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 << 20,
    maxBytes: Math.max(16 << 20, (opts.maxBytesPerPartition ?? 4 << 20) * 2),
    allowAutoTopicCreation: false,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
  });
  const resumeCache = new Map<string, bigint>();
  // partitions sought back to the handler's offset since the last rebalance (once each: a
  // partition whose start was deleted by retention would otherwise be sought forever)
  const sought = new Set<string>();
  let stopping = false;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => undefined); // observed by the caller through `done`

  const resumeAt = async (t: string, p: number): Promise<bigint> => {
    const k = `${t}/${p}`;
    let v = resumeCache.get(k);
    if (v === undefined) {
      const s = await handler.resumeOffset(t, p);
      v = s === undefined ? -1n : BigInt(s);
      resumeCache.set(k, v);
    }
    return v;
  };

  const fail = async (err: unknown) => {
    if (stopping) return;
    stopping = true;
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    settle.reject(err);
  };

  /** Awaits `work`, heartbeating meanwhile: a long restore or scoring must not cost the membership. */
  const beating = async <T>(heartbeat: () => Promise<void>, work: () => T | Promise<T>): Promise<T> => {
    const t = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      return await work();
    } finally {
      clearInterval(t);
    }
  };

  const eachBatch = async ({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { partition } = batch;
    const from = await beating(heartbeat, () => resumeAt(batch.topic, partition));
    const key = `${batch.topic}/${partition}`;
    if (from >= 0n && BigInt(batch.messages[0].offset) > from && !sought.has(key)) {
      // the group's offset is ahead of the handler's state (state restored from elsewhere, or a
      // batch of dead letters only): go back to where the state ends
      sought.add(key);
      opts.log?.(`${key}: fetched from ${batch.messages[0].offset}, the state ends at ${from}: seeking back`);
      consumer.seek({ topic: batch.topic, partition, offset: from.toString() });
      return;
    }
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= from);
    stats.skippedReplayed += batch.messages.length - fresh.length;
    const last = BigInt(batch.messages[batch.messages.length - 1].offset);
    const next = (last + 1n).toString();
    if (fresh.length === 0) {
      resolveOffset(last.toString());
      await consumer.commitOffsets([{ topic: batch.topic, partition, offset: (from > last ? from : last + 1n).toString() }]);
      return;
    }
    const good: GpsPoint[] = [];
    const dead: DeadLetter[] = [];
    let rejectedPoints = 0;
    const deadLetterReasons: Record<string, number> = {};
    for (const m of fresh) {
      const d = decodeMessage(m.key, m.value, opts.validate);
      for (const p of d.points) good.push(p);
      if (d.reasons.length) {
        rejectedPoints += d.rejectedPoints;
        const reason = d.reasons.length > 3 ? `${d.reasons.slice(0, 3).join('; ')}; and ${d.reasons.length - 3} more` : d.reasons.join('; ');
        dead.push({ key: m.key, value: m.value, reason, topic: batch.topic, partition, offset: m.offset, rejected: d.rejected });
        const k = reasonKind(d.reasons[0]);
        stats.byReason[k] = (stats.byReason[k] ?? 0) + 1;
        deadLetterReasons[k] = (deadLetterReasons[k] ?? 0) + 1;
      }
    }
    // Dead letters are written before the offset moves on, so a crash can repeat one, never drop one.
    if (dead.length) await producer.send({ topic: dlqTopic, acks: -1, messages: dead.map(toDlqMessage) });
    const pb: PartitionBatch = {
      topic: batch.topic,
      partition,
      firstOffset: fresh[0].offset,
      nextOffset: next,
      vehicles: groupByVehicle(good),
      messages: fresh.length,
      points: good.length,
      deadLetters: dead.length,
      rejectedPoints,
      deadLetterReasons,
      highWatermark: batch.highWatermark,
    };
    await beating(heartbeat, () => handler.apply(pb));
    resumeCache.set(`${batch.topic}/${partition}`, last + 1n);
    stats.batches++;
    stats.messages += fresh.length;
    stats.points += good.length;
    stats.deadLetters += dead.length;
    stats.rejectedPoints += rejectedPoints;
    stats.lastActivity = Date.now();
    opts.onBatch?.(pb, stats);
    resolveOffset(last.toString());
    await consumer.commitOffsets([{ topic: batch.topic, partition, offset: next }]);
    await heartbeat();
  };

  consumer.on(consumer.events.CRASH, (e) => {
    // kafkajs restarts the consumer itself on retriable errors (e.g. the broker was down a while).
    if (!e.payload.restart) void fail(e.payload.error);
  });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    resumeCache.clear(); // partitions may have moved: ask the handler again
    sought.clear();
    handler.assigned?.(topic, e.payload.memberAssignment[topic] ?? []);
    joined = true;
    stats.lastActivity = Date.now();
  });

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      try {
        await eachBatch(payload);
      } catch (err) {
        // A handler that cannot make its state durable must stop the consumer, not skip the batch.
        if (isHandlerError(err)) await fail(err);
        else throw err; // Kafka errors: kafkajs retries and restarts
      }
    },
  });

  return {
    stats,
    done,
    async stop() {
      if (stopping) return;
      stopping = true;
      await consumer.disconnect();
      await producer.disconnect();
      settle.resolve();
    },
    async waitIdle(ms, o = {}) {
      for (;;) {
        if (o.signal?.aborted || stopping) return;
        // Idle time counts from joining the group (a restart may wait for a crashed member's session to expire).
        const quiet = joined ? Date.now() - stats.lastActivity : 0;
        if (quiet >= ms) return;
        await new Promise((r) => setTimeout(r, Math.min(250, ms - quiet)));
      }
    },
  };
}

const KAFKA_ERROR = /^KafkaJS/;
function isHandlerError(err: unknown): boolean {
  return !(err instanceof Error && KAFKA_ERROR.test(err.name));
}
