// Dead-letter counts in the store: how many messages of each source partition went to the DLQ,
// by reason. The letters themselves live on gps.points.dlq; the counts let the dashboard and
// metrics answer without reading the topic.
import type { Db } from './open.js';
import { migrate, type Migration } from './migrate.js';
import { prepared } from './prepared.js';

export const DEAD_LETTERS_COMPONENT = 'ingest.dead-letters';

export const DEAD_LETTER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE dead_letter_counts (
      reason TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
      count INTEGER NOT NULL, last_at TEXT NOT NULL, PRIMARY KEY (reason, topic, partition))`,
  },
];

export interface DeadLetterCount {
  reason: string;
  topic: string;
  partition: number;
  count: number;
}

export function migrateDeadLetters(db: Db): void {
  migrate(db, DEAD_LETTERS_COMPONENT, DEAD_LETTER_MIGRATIONS);
}

/** Adds counts (in the caller's transaction when there is one, so they commit with its offsets). */
export function recordDeadLetters(db: Db, counts: readonly DeadLetterCount[], at = new Date()): void {
  const add = prepared(db, 'INSERT INTO dead_letter_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT(reason, topic, partition) DO UPDATE SET count = count + excluded.count, last_at = excluded.last_at');
  db.transaction(() => {
    for (const c of counts) if (c.count > 0) add.run(c.reason, c.topic, c.partition, c.count, at.toISOString());
  })();
}

/** Every count, by reason then topic and partition. */
export function deadLetterCounts(db: Db): DeadLetterCount[] {
  return prepared(db, 'SELECT reason, topic, partition, count FROM dead_letter_counts ORDER BY reason, topic, partition').all() as DeadLetterCount[];
}
