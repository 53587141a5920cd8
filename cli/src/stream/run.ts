// `cotrans stream` wired up: topics, store, model, consumer, metrics, model polling and the way out.
import { localMidnightUtc } from '@cotrans/core';
import type { KafkaSecurity } from '@cotrans/ingest';
import { UserError } from '../kit.js';
import { StoreLabelLog, type Scorer } from './labels.js';
import { StreamJob } from './job.js';
import { StreamMetrics, serveMetrics } from './metrics.js';
import { StreamHealthWriter } from './health.js';
import { STREAM_DEFAULTS } from './defaults.js';

export interface StreamRunOptions {
  brokers: string;
  models: string;
  db: string;
  group: string;
  metricsPort?: number;
  untilIdleS?: number;
  debounceMin: number;
  staleHours: number;
  modelPollS: number;
  tz?: string;
  windowDays: number;
  topic: string;
  dlqTopic: string;
  labelsTopic: string;
  changelogTopic: string;
  partitions: number;
  replicationFactor: number;
  security: KafkaSecurity;
  sessionTimeoutMs: number;
  fetchBytes: number;
}

/** What a caller gives runStream: the model directory and the store, and any option it sets; the rest are STREAM_DEFAULTS. */
export type StreamRunInput = Pick<StreamRunOptions, 'models' | 'db'> & Partial<StreamRunOptions>;

const log = (l: string) => process.stderr.write(`stream: ${l}\n`);

type Loaded = { version: string; scorer: Scorer & { manifest: import('@cotrans/cotrans').Manifest } };

async function loadScorer(models: string): Promise<Loaded> {
  const { model, version } = await (await import('@cotrans/cotrans')).loadCurrentModel(models);
  return { version, scorer: model };
}

/** The version goes into the store's model_versions once, with its training summary. */
async function recordVersion(db: import('better-sqlite3').Database, m: Loaded): Promise<void> {
  const learn = await import('@cotrans/cotrans');
  learn.recordModelVersion(db, { id: m.version, createdAt: m.scorer.manifest.createdAt, summary: learn.modelSummary(m.scorer.manifest) });
}

const kafkaProblem = (brokers: string, err: unknown): unknown =>
  (err as Error).name?.startsWith('KafkaJS') ? new UserError(`Kafka at ${brokers}: ${(err as Error).message} (is the broker up? cotrans kafka start)`) : err;

export async function runStream(input: StreamRunInput): Promise<number> {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as StreamRunInput;
  const o: StreamRunOptions = { ...STREAM_DEFAULTS, security: {}, ...given };
  const ingest = await import('@cotrans/ingest');
  const { SqliteWindowStore, clockFor, dayKey } = await import('@cotrans/features');
  const kafkajs = (await import('kafkajs')).default;
  const model = await loadScorer(o.models);
  const tz = o.tz ?? model.scorer.manifest.features.tz;
  const kafka = new kafkajs.Kafka({ brokers: ingest.parseBrokers(o.brokers), clientId: 'cotrans-stream', logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 }, ...o.security });

  // topics: the points topic decides the changelog's partition count
  let partitions: number;
  try {
    const rf = o.replicationFactor;
    await ingest.ensureTopics(o.brokers, [{ topic: o.topic, partitions: o.partitions, replicationFactor: rf }, { topic: o.dlqTopic, partitions: 1, replicationFactor: rf }], o.security);
    const admin = kafka.admin();
    await admin.connect();
    try {
      partitions = (await admin.fetchTopicMetadata({ topics: [o.topic] })).topics[0].partitions.length;
    } finally {
      await admin.disconnect();
    }
    const compact = { 'cleanup.policy': 'compact' };
    const r = await ingest.ensureTopics(o.brokers, [{ topic: o.labelsTopic, partitions: 1, replicationFactor: rf, config: compact }, { topic: o.changelogTopic, partitions, replicationFactor: rf, config: compact }], o.security);
    const bad = r.mismatched.find((m) => m.topic === o.changelogTopic);
    if (bad) throw new UserError(`topic ${o.changelogTopic} has ${bad.partitions} partitions, ${o.topic} has ${partitions}: a changelog is partitioned like its source (delete it, or name another with --changelog-topic)`);
  } catch (err) {
    model.scorer.dispose();
    throw kafkaProblem(o.brokers, err);
  }

  let store;
  try {
    store = new SqliteWindowStore(o.db, { tz, windowDays: o.windowDays, imageSize: model.scorer.manifest.features.imageSize }, 'write', 'by-partition');
  } catch (err) {
    model.scorer.dispose();
    if ((err as { exitCode?: number }).exitCode === 1) throw err;
    throw new UserError(`--db ${o.db}: cannot open (${(err as Error).message})`);
  }
  const clock = clockFor(tz);
  const metrics = new StreamMetrics(
    {
      async lag() {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const committed = (await admin.fetchOffsets({ groupId: o.group, topics: [o.topic] }))[0]?.partitions ?? [];
          const marks = await admin.fetchTopicOffsets(o.topic);
          return marks.map((m) => {
            const c = committed.find((x) => x.partition === m.partition)?.offset ?? '-1';
            return { partition: m.partition, lag: Number(BigInt(m.high) - BigInt(c === '-1' ? m.low : c)) };
          });
        } finally {
          await admin.disconnect();
        }
      },
    },
    () => job.counts,
    () => job.ready,
  );
  const job: StreamJob = new StreamJob({
    kafka,
    topic: o.topic,
    labelsTopic: o.labelsTopic,
    changelogTopic: o.changelogTopic,
    store,
    labels: new StoreLabelLog(store.db),
    schedule: { debounceMs: o.debounceMin * 60_000, staleMs: o.staleHours * 3_600_000, windowDays: store.opts.windowDays, dayOf: (ts) => clock.dayOf(ts), dayStart: (day) => localMidnightUtc(tz, dayKey(day)) },
    model,
    metrics,
    health: new StreamHealthWriter(store.db, o.group),
    log,
  });
  metrics.setModel(model.version);
  await recordVersion(store.db, model);
  let server;
  if (o.metricsPort !== undefined) {
    try {
      server = await serveMetrics(metrics, o.metricsPort, () => job.ready);
    } catch (err) {
      store.close();
      throw new UserError(`--metrics-port ${o.metricsPort}: cannot listen (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    log(`metrics on http://127.0.0.1:${server.port}/metrics, health on /healthz`);
  }
  const seen: Record<string, number> = {};
  let consumer;
  try {
    await job.start();
    consumer = await ingest.runConsumer({
      brokers: o.brokers,
      groupId: o.group,
      topic: o.topic,
      dlqTopic: o.dlqTopic,
      handler: job,
      clientId: 'cotrans-stream',
      alignOffsets: false,
      security: o.security,
      sessionTimeoutMs: o.sessionTimeoutMs,
      maxBytesPerPartition: o.fetchBytes,
      onBatch: (_b, s) => {
        for (const [k, v] of Object.entries(s.byReason)) {
          if (v > (seen[k] ?? 0)) metrics.deadLetters.inc({ reason: k }, v - (seen[k] ?? 0));
          seen[k] = v;
        }
      },
      log,
    });
  } catch (err) {
    await job.close();
    server?.server.close();
    store.close();
    throw kafkaProblem(o.brokers, err);
  }

  // a new current model version: re-score everything with it
  let reloading = Promise.resolve();
  const learn = await import('@cotrans/cotrans');
  const watch = learn.watchCurrentVersion(
    o.models,
    () => {
      reloading = reloading.then(async () => {
        try {
          const next = await loadScorer(o.models);
          if (next.version === job.modelVersion) return next.scorer.dispose();
          await recordVersion(store.db, next);
          const n = await job.swapModel(next);
          metrics.setModel(next.version);
          log(`model ${next.version}: re-scored ${n} vehicles`);
        } catch (err) {
          log(`model ${o.models}: ${(err as Error).message} (still scoring with ${job.modelVersion})`);
        }
      });
    },
    { intervalMs: o.modelPollS * 1000, onError: (err) => log(`model ${o.models}: ${(err as Error).message} (still scoring with ${job.modelVersion})`) },
  );

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stopped = new Promise<void>((res) => abort.signal.addEventListener('abort', () => res(), { once: true }));
  let failed: unknown;
  try {
    await Promise.race([consumer.done, stopped, o.untilIdleS !== undefined ? consumer.waitIdle(o.untilIdleS * 1000, { signal: abort.signal }) : new Promise(() => undefined)]);
    const flushed = await job.flush();
    if (flushed) log(`flushed ${flushed} labels`);
  } catch (err) {
    failed = err;
  } finally {
    watch.stop();
    await reloading;
    await consumer.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await consumer.done.catch((e: unknown) => (failed ??= e));
  await job.close();
  server?.server.close();
  const s = consumer.stats;
  const c = job.counts;
  store.close();
  if (failed) throw failed;
  process.stdout.write(
    `streamed ${s.messages} messages, ${s.points} points; dead letters ${s.deadLetters}; ${c.vehicles} vehicles held (${c.stale} stale); model ${job.modelVersion}; store ${o.db}\n`,
  );
  return 0;
}
