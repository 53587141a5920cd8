import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./${pkg}/src/index.ts`, import.meta.url));

// Tests import the stages' TypeScript sources directly (no build needed to run one test);
// `npm test` still builds and typechecks everything first.
const alias = {
  '@cotrans/core': src('core'),
  '@cotrans/fixtures': src('fixtures'),
  '@cotrans/ingest': src('ingest'),
  '@cotrans/features': src('features'),
  '@cotrans/cotrans': src('cotrans'),
  '@cotrans/dashboard': src('dashboard'),
  '@cotrans/testkit': src('testkit'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['*/test/**/*.test.ts'],
          exclude: ['**/*.kafka.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        // Integration tests against a real Apache Kafka broker that the global setup starts
        // (free port, temp data dir) and stops. Files run one at a time: they share the broker.
        resolve: { alias },
        test: {
          name: 'kafka',
          include: ['*/test/**/*.kafka.test.ts'],
          globalSetup: ['./ingest/test/kafka.global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
          // kafkajs picks shorter default retry timings under NODE_ENV=test (backoff x1.5, not x2),
          // so replay's own retry loop sees the 14 s broker outage of outage.kafka.test.ts; vitest
          // sets it only when the caller has not, so it is set here, whatever the shell says.
          env: { NODE_ENV: 'test' },
        },
      },
    ],
  },
});
