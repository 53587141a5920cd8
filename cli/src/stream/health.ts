// The stream's health written into the store with each batch's state, in the same transaction:
// the partition's committed offset against the high watermark its fetch saw, the batch's dead
// letters by reason, and this member's rates. A few small upserts per batch; the dashboard reads them.
import { hostname } from 'node:os';
import { migrateDeadLetters, migrateStreamHealth, recordDeadLetters, recordPartitionHealth, recordStreamStatus, type Db, type PartitionBatch } from '@cotrans/ingest';
import { RateWindow } from './metrics.js';

export class StreamHealthWriter {
  private readonly rates = new RateWindow();

  constructor(
    private readonly db: Db,
    private readonly group: string,
    private readonly instance = `${hostname()}:${process.pid}`,
  ) {
    migrateDeadLetters(db);
    migrateStreamHealth(db);
  }

  /** Inside the batch's transaction (the rates count a batch whose transaction then fails: they describe fetching). */
  batch(b: PartitionBatch, now = new Date()): void {
    if (b.highWatermark !== undefined) recordPartitionHealth(this.db, { group: this.group, topic: b.topic, partition: b.partition, committedOffset: b.nextOffset, highWatermark: b.highWatermark }, now);
    const reasons = Object.entries(b.deadLetterReasons ?? {}).map(([reason, count]) => ({ reason, topic: b.topic, partition: b.partition, count }));
    if (reasons.length) recordDeadLetters(this.db, reasons, now);
    const r = this.rates.add(b.messages, b.points, now.getTime());
    recordStreamStatus(this.db, { group: this.group, instance: this.instance, ...r }, now);
  }
}
