// Replay: points (from a reader) into gps.points, keyed by vehicle, points of a vehicle batched into
// one message as devices upload them; as fast as possible or paced by event time.
import kafkajs, { type Producer } from 'kafkajs';
import type { GpsPoint } from './point.js';
import { TOPICS, parseBrokers } from './kafka/topics.js';
import type { KafkaSecurity } from './consumer.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

export interface ReplayOptions {
  brokers: string | string[];
  topic?: string;
  /** 'max' (default) or an event-time speed-up factor: 3600 plays an hour of log per second. */
  speed?: 'max' | number;
  /** Most points in one message (default 500; 1 gives single-point messages). */
  maxPointsPerMessage?: number;
  /**
   * At full speed, points are buffered up to this many (default 65,536) before they are grouped into
   * per-vehicle messages, so a time-ordered fleet log still gives multi-point messages. Paced replay
   * sends as points fall due.
   */
  bufferPoints?: number;
  /** Keep retrying a failed send (broker down) this long before giving up (default 120 s). */
  retryForMs?: number;
  signal?: AbortSignal;
  onProgress?: (s: ReplayStats) => void;
  /** An already connected producer to use (it is left connected). */
  producer?: Producer;
  /** TLS and SASL of the cluster (with the producer this function makes). */
  security?: KafkaSecurity;
}

export interface ReplayStats {
  points: number;
  messages: number;
  /** Event time of the latest point sent (epoch ms). */
  eventTs: number;
  /** Send retries after broker errors. */
  retries: number;
  elapsedMs: number;
}

const SEND_BYTES = 512 * 1024;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    if (signal?.aborted) return res();
    const t = setTimeout(res, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
  });

/** Groups points by vehicle (first-seen order), each group in time order, split at `max` points. */
export function toMessages(points: GpsPoint[], max: number): { key: string; points: GpsPoint[] }[] {
  const groups = new Map<string, GpsPoint[]>();
  for (const p of points) {
    let g = groups.get(p.vehicleId);
    if (!g) groups.set(p.vehicleId, (g = []));
    g.push(p);
  }
  const out: { key: string; points: GpsPoint[] }[] = [];
  for (const [key, g] of groups) {
    let sorted = true;
    for (let i = 1; i < g.length; i++) if (g[i].ts < g[i - 1].ts) { sorted = false; break; }
    if (!sorted) g.sort((a, b) => a.ts - b.ts);
    for (let i = 0; i < g.length; i += max) out.push({ key, points: g.slice(i, i + max) });
  }
  return out;
}

/** The JSON a device sends: one point, or an array of points of one vehicle. */
export function encodePoints(points: GpsPoint[]): string {
  return JSON.stringify(points.length === 1 ? points[0] : points);
}

export async function replay(source: AsyncIterable<GpsPoint[]> | Iterable<GpsPoint[]>, opts: ReplayOptions): Promise<ReplayStats> {
  const topic = opts.topic ?? TOPICS.points;
  const max = opts.maxPointsPerMessage ?? 500;
  const speed = opts.speed ?? 'max';
  const retryFor = opts.retryForMs ?? 120_000;
  const own = !opts.producer;
  const producer =
    opts.producer ??
    new Kafka({ brokers: parseBrokers(opts.brokers), clientId: 'cotrans-replay', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 }, ...opts.security }).producer({
      allowAutoTopicCreation: false,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      // A send that timed out after the broker wrote it is retried; without idempotence that retry
      // is a duplicate message (seen under load on 2 cores). One request in flight keeps order.
      idempotent: true,
      maxInFlightRequests: 1,
    });
  if (own) await producer.connect();
  const stats: ReplayStats = { points: 0, messages: 0, eventTs: 0, retries: 0, elapsedMs: 0 };
  const t0 = performance.now();
  let ts0: number | undefined;
  const bufferPoints = opts.bufferPoints ?? 65_536;
  let buffer: GpsPoint[] = [];

  const send = async (pts: GpsPoint[]) => {
    const msgs = toMessages(pts, max).map((m) => ({ key: m.key, value: encodePoints(m.points) }));
    // Requests stay well under the broker's 1 MiB batch limit, however large the input batch.
    for (let i = 0; i < msgs.length; ) {
      let bytes = 0;
      let j = i;
      while (j < msgs.length && (j === i || bytes + msgs[j].value.length < SEND_BYTES)) bytes += msgs[j++].value.length;
      const chunk = msgs.slice(i, j);
      i = j;
      const deadline = Date.now() + retryFor;
      for (;;) {
        try {
          // One request at a time keeps per-vehicle order through retries.
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: chunk });
          break;
        } catch (err) {
          if (Date.now() > deadline || opts.signal?.aborted) throw err;
          stats.retries++;
          await sleep(1000, opts.signal);
        }
      }
    }
    stats.points += pts.length;
    stats.messages += msgs.length;
    for (const p of pts) if (p.ts > stats.eventTs) stats.eventTs = p.ts;
    stats.elapsedMs = performance.now() - t0;
    opts.onProgress?.(stats);
  };

  try {
    for await (const batch of source) {
      if (opts.signal?.aborted) break;
      if (speed === 'max') {
        for (const p of batch) buffer.push(p);
        while (buffer.length >= bufferPoints) {
          await send(buffer.length === bufferPoints ? buffer : buffer.slice(0, bufferPoints));
          buffer = buffer.length === bufferPoints ? [] : buffer.slice(bufferPoints);
        }
        continue;
      }
      // Paced: a point goes out when the wall clock reaches its event time / speed. Points due
      // within the next 50 ms go together; late points (input not in time order) go at once.
      let i = 0;
      while (i < batch.length && !opts.signal?.aborted) {
        ts0 ??= batch[i].ts;
        const due = (p: GpsPoint) => ((p.ts - ts0!) / speed) - (performance.now() - t0);
        const wait = due(batch[i]);
        if (wait > 0) await sleep(wait, opts.signal);
        let j = i + 1;
        while (j < batch.length && due(batch[j]) <= 50) j++;
        await send(batch.slice(i, j));
        i = j;
      }
    }
    if (buffer.length) await send(buffer);
  } finally {
    if (own) await producer.disconnect();
  }
  stats.elapsedMs = performance.now() - t0;
  return stats;
}
