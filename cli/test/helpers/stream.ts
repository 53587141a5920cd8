// Running `cotrans stream` as a child process against the test broker, and reading what it wrote:
// the labels topic, the changelog, the store.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import kafkajs from 'kafkajs';
import { VehicleWindow, type VehicleFeatures } from '@cotrans/features';
import { latestLabels } from '@cotrans/cotrans';
import { sqliteCounter } from '@cotrans/testkit';
import { brokers, cliBin, freshTopics, until } from '../../../ingest/test/helpers/kafka.js';

/** Fixes a stream's store has applied (0 before its first commit). */
export const storedPoints = (db: string): number => sqliteCounter(db, 'points');

const { Kafka, logLevel } = kafkajs;

export interface StreamTopics {
  topic: string;
  dlq: string;
  group: string;
  labels: string;
  changelog: string;
}

export async function streamTopics(name: string, partitions = 6): Promise<StreamTopics> {
  const t = await freshTopics(name, partitions);
  return { ...t, labels: `${t.topic}.labels`, changelog: `${t.topic}.changelog` };
}

export interface StreamProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: () => string;
}

export function startStream(t: StreamTopics, o: { db: string; models: string; group?: string; labels?: string; changelog?: string; extra?: string[] }): StreamProcess {
  let log = '';
  const child = spawn(
    process.execPath,
    [
      cliBin(), 'stream', '--brokers', brokers(), '--models', o.models, '--db', o.db, '--group', o.group ?? t.group,
      '--topic', t.topic, '--dlq-topic', t.dlq, '--labels-topic', o.labels ?? t.labels, '--changelog-topic', o.changelog ?? t.changelog,
      '--session-timeout-ms', '6000', '--fetch-bytes', '16384', ...(o.extra ?? ['--until-idle', '4']),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, log: () => log };
}

/** Every message of a topic up to its high watermarks now, in offset order per partition. */
export async function readAll(topic: string): Promise<{ key: string; value: string | null; partition: number; offset: string }[]> {
  const kafka = new Kafka({ brokers: [brokers()], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const marks = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = marks.filter((m) => BigInt(m.high) > BigInt(m.low));
  const out: { key: string; value: string | null; partition: number; offset: string }[] = [];
  if (!want.length) return out;
  const left = new Set(want.map((m) => m.partition));
  const c = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}` });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({
    eachMessage: async ({ message, partition }) => {
      out.push({ key: message.key!.toString(), value: message.value?.toString() ?? null, partition, offset: message.offset });
      const m = want.find((x) => x.partition === partition)!;
      if (BigInt(message.offset) >= BigInt(m.high) - 1n) left.delete(partition);
    },
  });
  try {
    await until(() => left.size === 0, 60_000, `all of ${topic}`);
  } finally {
    await c.disconnect();
  }
  return out;
}

/** The last label per vehicle on a labels topic, scoredAt left out. */
export async function finalLabels(topic: string): Promise<Map<string, Record<string, unknown>>> {
  const m = new Map<string, Record<string, unknown>>();
  for (const r of await readAll(topic)) {
    const v = JSON.parse(r.value!) as Record<string, unknown>;
    delete v.scoredAt;
    m.set(r.key, v);
  }
  return new Map([...m].sort((a, b) => a[0].localeCompare(b[0])));
}

/** Features of each vehicle's last window on a changelog, and the fixes those windows were offered in all. */
export async function changelogFeatures(topic: string): Promise<{ features: Map<string, VehicleFeatures>; input: number }> {
  const last = new Map<string, string>();
  for (const r of await readAll(topic)) if (r.value) last.set(r.key, r.value);
  const features = new Map<string, VehicleFeatures>();
  let input = 0;
  for (const id of [...last.keys()].sort()) {
    const w = VehicleWindow.restore((JSON.parse(last.get(id)!) as { w: Parameters<typeof VehicleWindow.restore>[0] }).w);
    input += w.counts.input;
    features.set(id, w.result().features);
  }
  return { features, input };
}

/** Latest labels in a store (scoredAt left out), as the labels topic carries them. */
export function storeLabels(db: string): Map<string, Record<string, unknown>> {
  if (!existsSync(db)) return new Map();
  const d = new Database(db, { readonly: true });
  try {
    const has = d.prepare("SELECT 1 FROM sqlite_master WHERE name = 'vehicle_labels'").get();
    if (!has) return new Map();
    return new Map(
      latestLabels(d).map((r) => {
        const v = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
        delete v.scoredAt;
        return [r.vehicleId, v];
      }),
    );
  } finally {
    d.close();
  }
}
