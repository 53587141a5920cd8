// The overview's stream panel: what `cotrans stream` last wrote into the store (lag per
// partition, rates, dead letters by reason), with how old it is.
import { STREAM_STALE_AFTER_MS, streamHealth, type Db } from '@cotrans/ingest';

/** Stream health older than this is shown as stale: the stream stopped or hangs. */
export { STREAM_STALE_AFTER_MS };

export interface StreamView {
  partitions: { topic: string; partition: number; lag: number }[];
  lag: { sum: number; max: number };
  pointsPerS: number;
  messagesPerS: number;
  /** Summed over partitions, most first. */
  deadLetters: { reason: string; count: number }[];
  updatedAt: string;
  ageS: number;
  stale: boolean;
}

/** Null when no stream has written the store. */
export function streamView(db: Db, now = Date.now()): StreamView | null {
  const h = streamHealth(db);
  if (!h) return null;
  const dead = new Map<string, number>();
  for (const d of h.deadLetters) dead.set(d.reason, (dead.get(d.reason) ?? 0) + d.count);
  const ageMs = Math.max(0, now - Date.parse(h.updatedAt));
  return {
    partitions: h.partitions.map((p) => ({ topic: p.topic, partition: p.partition, lag: p.lag })),
    lag: h.lag,
    pointsPerS: h.pointsPerS,
    messagesPerS: h.messagesPerS,
    deadLetters: [...dead].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
    updatedAt: h.updatedAt,
    ageS: Math.round(ageMs / 1000),
    stale: ageMs > STREAM_STALE_AFTER_MS,
  };
}
