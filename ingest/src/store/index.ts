export { openStore, DEFAULT_BUSY_TIMEOUT_MS, type Db, type OpenStoreOptions } from './open.js';
export { migrate, checkSchema, schemaVersion, type Migration } from './migrate.js';
export { prepared } from './prepared.js';
export { DEAD_LETTERS_COMPONENT, DEAD_LETTER_MIGRATIONS, migrateDeadLetters, recordDeadLetters, deadLetterCounts, type DeadLetterCount } from './dead-letters.js';
export { STREAM_HEALTH_COMPONENT, STREAM_STALE_AFTER_MS, STREAM_HEALTH_MIGRATIONS, migrateStreamHealth, recordPartitionHealth, recordStreamStatus, streamHealth, type PartitionHealth, type StreamStatus, type StreamHealth } from './stream-health.js';
