import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, from this module's place (ingest/src/kafka or ingest/dist/kafka). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** Where fetched Kafka jars live: $COTRANS_KAFKA_CACHE or <repo>/.cache/kafka, one folder per version. */
export function kafkaCacheDir(): string {
  return process.env.COTRANS_KAFKA_CACHE ?? join(repoRoot(), '.cache', 'kafka');
}

export function kafkaPom(): string {
  return join(repoRoot(), 'ingest', 'kafka', 'pom.xml');
}
