// The stream's health in the store: per partition the offset a stream member committed with its
// state and the high watermark its last fetch saw, and per member the consumption rates. The
// tables live here, next to the dead-letter counts, because both the stream (cli) that writes them
// and the dashboard that shows them import this stage, and neither may import the other.
import type { Db } from './open.js';
import { checkSchema, migrate, schemaVersion, type Migration } from './migrate.js';
import { prepared } from './prepared.js';
import { DEAD_LETTERS_COMPONENT, DEAD_LETTER_MIGRATIONS, deadLetterCounts, type DeadLetterCount } from './dead-letters.js';

export const STREAM_HEALTH_COMPONENT = 'ingest.stream-health';

/**
 * A member that wrote nothing for this long before the newest write is taken as gone (a restart
 * is a new host:pid): its last rates no longer count. Readers call health this old stale.
 */
export const STREAM_STALE_AFTER_MS = 60_000;

export const STREAM_HEALTH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE stream_partition_health (
      group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
      committed_offset TEXT NOT NULL, high_watermark TEXT NOT NULL, lag INTEGER NOT NULL,
      updated_at TEXT NOT NULL, PRIMARY KEY (group_id, topic, partition));
    CREATE TABLE stream_status (
      group_id TEXT NOT NULL, instance TEXT NOT NULL, points_per_s REAL NOT NULL,
      messages_per_s REAL NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (group_id, instance))`,
  },
];

export interface PartitionHealth {
  group: string;
  topic: string;
  partition: number;
  /** The next offset to consume, committed with the partition's state. */
  committedOffset: string;
  /** The partition's high watermark as the last fetch saw it. */
  highWatermark: string;
}

export interface StreamStatus {
  group: string;
  /** The member that wrote it (host:pid). */
  instance: string;
  pointsPerS: number;
  messagesPerS: number;
}

export interface StreamHealth {
  partitions: (PartitionHealth & { lag: number; updatedAt: string })[];
  members: (StreamStatus & { updatedAt: string })[];
  lag: { sum: number; max: number };
  /** Summed over the members that wrote within STREAM_STALE_AFTER_MS of the newest write. */
  pointsPerS: number;
  messagesPerS: number;
  deadLetters: DeadLetterCount[];
  /** The newest write of any row (ISO time). */
  updatedAt: string;
}

export function migrateStreamHealth(db: Db): void {
  migrate(db, STREAM_HEALTH_COMPONENT, STREAM_HEALTH_MIGRATIONS);
}

/** Upserts one partition's row (in the caller's transaction, so it commits with the batch's state). */
export function recordPartitionHealth(db: Db, h: PartitionHealth, at = new Date()): void {
  const lag = BigInt(h.highWatermark) - BigInt(h.committedOffset);
  prepared(db, 'INSERT OR REPLACE INTO stream_partition_health VALUES (?, ?, ?, ?, ?, ?, ?)').run(h.group, h.topic, h.partition, h.committedOffset, h.highWatermark, Number(lag < 0n ? 0n : lag), at.toISOString());
}

export function recordStreamStatus(db: Db, s: StreamStatus, at = new Date()): void {
  prepared(db, 'INSERT OR REPLACE INTO stream_status VALUES (?, ?, ?, ?, ?)').run(s.group, s.instance, s.pointsPerS, s.messagesPerS, at.toISOString());
}

/** What the stream wrote; null when no stream has written this store (a reader never creates the tables). */
export function streamHealth(db: Db): StreamHealth | null {
  if (schemaVersion(db, STREAM_HEALTH_COMPONENT) === 0) return null;
  checkSchema(db, STREAM_HEALTH_COMPONENT, STREAM_HEALTH_MIGRATIONS);
  type P = { group: string; topic: string; partition: number; committedOffset: string; highWatermark: string; lag: number; updatedAt: string };
  const partitions = prepared(db, 'SELECT group_id AS "group", topic, partition, committed_offset AS committedOffset, high_watermark AS highWatermark, lag, updated_at AS updatedAt FROM stream_partition_health ORDER BY group_id, topic, partition').all() as P[];
  type M = { group: string; instance: string; pointsPerS: number; messagesPerS: number; updatedAt: string };
  const members = prepared(db, 'SELECT group_id AS "group", instance, points_per_s AS pointsPerS, messages_per_s AS messagesPerS, updated_at AS updatedAt FROM stream_status ORDER BY group_id, instance').all() as M[];
  if (!partitions.length && !members.length) return null;
  const hasDead = schemaVersion(db, DEAD_LETTERS_COMPONENT) > 0 && checkSchema(db, DEAD_LETTERS_COMPONENT, DEAD_LETTER_MIGRATIONS) > 0;
  const times = [...partitions, ...members].map((r) => r.updatedAt).sort();
  const newest = Math.max(...members.map((m) => Date.parse(m.updatedAt)));
  const live = members.filter((m) => newest - Date.parse(m.updatedAt) <= STREAM_STALE_AFTER_MS);
  return {
    partitions,
    members,
    lag: { sum: partitions.reduce((a, r) => a + r.lag, 0), max: partitions.reduce((a, r) => Math.max(a, r.lag), 0) },
    pointsPerS: live.reduce((a, r) => a + r.pointsPerS, 0),
    messagesPerS: live.reduce((a, r) => a + r.messagesPerS, 0),
    deadLetters: hasDead ? deadLetterCounts(db) : [],
    updatedAt: times[times.length - 1],
  };
}
