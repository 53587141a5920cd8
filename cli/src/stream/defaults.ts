// The stream job's defaults, in one place: `cotrans stream`'s option table prints them, and
// runStream fills every option a caller (the demo, a test) leaves out from them.
import { TOPICS } from '@cotrans/ingest';
import { DEFAULT_REPLICATION_FACTOR } from '../kafka-options.js';

export const STREAM_DEFAULTS = {
  brokers: '127.0.0.1:9092',
  group: 'cotrans-stream',
  /** Minutes of event time after which a changed vehicle is scored again. */
  debounceMin: 15,
  staleHours: 24,
  modelPollS: 10,
  windowDays: 7,
  topic: TOPICS.points,
  dlqTopic: TOPICS.dlq,
  labelsTopic: TOPICS.labels,
  changelogTopic: TOPICS.windowsChangelog,
  partitions: 6,
  replicationFactor: DEFAULT_REPLICATION_FACTOR,
  sessionTimeoutMs: 30_000,
  fetchBytes: 4 * 1024 * 1024,
} as const;
