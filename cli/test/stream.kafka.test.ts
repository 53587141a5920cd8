// `cotrans stream` on the real broker: a small simulated fleet, a tiny model trained once, and the
// job's results (labels on the labels topic and in the store, features of the changelog's last
// windows) compared vehicle by vehicle with one uninterrupted run.
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateFleet, writeFleet } from '@cotrans/fixtures';
import { openStore, replay, runConsumer, startBroker, stopBroker, streamHealth, type GpsPoint } from '@cotrans/ingest';
import { localMidnightUtc } from '@cotrans/core';
import { SqliteWindowStore, clockFor, dayKey, type VehicleFeatures } from '@cotrans/features';
import { loadCurrentModel, resolveModelDir, writeVersion } from '@cotrans/cotrans';
import { brokers, until } from '../../ingest/test/helpers/kafka.js';
import type {} from '../../ingest/test/kafka.global-setup.js';
import { run } from './helpers/run.js';
import { StreamJob } from '../src/stream/job.js';
import { StoreLabelLog } from '../src/stream/labels.js';
import { StreamMetrics, serveMetrics } from '../src/stream/metrics.js';
import { changelogFeatures, finalLabels, readAll, startStream, storedPoints, storeLabels, streamTopics, type StreamTopics } from './helpers/stream.js';

let dir: string;
const p = (...s: string[]) => path.join(dir, ...s);
let points: GpsPoint[];
let reference: { labels: Map<string, Record<string, unknown>>; features: Map<string, VehicleFeatures> };

/** The changelog's windows, compared with the reference run's, vehicle by vehicle; every fix sent is in them once. */
async function expectReferenceWindows(changelog: string): Promise<void> {
  const got = await changelogFeatures(changelog);
  expect(got.input).toBe(points.length);
  expect(featureValues(got.features)).toEqual(featureValues(reference.features));
}

/** Sends points [from, to) of the fleet. */
const send = async (t: StreamTopics, from: number, to: number) => (await replay([points.slice(from, to)], { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 20 })).points;

const featureValues = (m: Map<string, VehicleFeatures>) => new Map([...m].map(([k, f]) => [k, { nPoints: f.nPoints, flags: f.flags, values: f.values.map((v) => (Number.isNaN(v) ? 'NaN' : v)) }]));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-stream-'));
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, p('src'));
  const target = { preset: 'target' as const, vehicles: 24, days: 3, seed: 4, sharedShare: 0.3 };
  await writeFleet(target, p('tgt'));
  const r = await run(['train', '--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv'), '--target', p('tgt', 'points.csv.gz'), '--models', p('models'), '--members', '1', '--epochs', '2', '--rounds', '1', '--image-mode', 'day']);
  expect(r.code, r.err).toBe(0);
  points = [...generateFleet(target).points()].flat();

  // the uninterrupted run every other run is compared with
  const t = await streamTopics('ref');
  await send(t, 0, points.length);
  const s = startStream(t, { db: p('ref.sqlite'), models: p('models') });
  expect(await s.exited, s.log()).toBe(0);
  reference = { labels: await finalLabels(t.labels), features: (await changelogFeatures(t.changelog)).features };
  expect(reference.labels.size).toBeGreaterThan(15);
  expect(storeLabels(p('ref.sqlite'))).toEqual(reference.labels);
  expect(reference.features.size).toBe(reference.labels.size);
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('(1) SIGKILL three times during a replay: labels on the topic and in the store, and the features, equal an uninterrupted run', async () => {
  const t = await streamTopics('kill');
  const db = p('kill.sqlite');
  const ends = [0.35, 0.65, 0.9, 1].map((f) => Math.floor(points.length * f));
  let sent = 0;
  for (let k = 0; k < 3; k++) {
    sent += await send(t, sent, ends[k]);
    const at = Math.floor(points.length * (0.1 + k * 0.28 + Math.random() * 0.15));
    const s = startStream(t, { db, models: p('models') });
    await until(() => storedPoints(db) >= at || s.child.exitCode !== null, 120_000, `${at} points stored before kill ${k + 1}`);
    expect(s.child.exitCode, `stream exited before kill ${k + 1}: ${s.log()}`).toBeNull();
    s.child.kill('SIGKILL');
    await s.exited;
    expect(storedPoints(db)).toBeLessThanOrEqual(ends[k]);
  }
  await send(t, sent, points.length);
  const last = startStream(t, { db, models: p('models') });
  expect(await last.exited, last.log()).toBe(0);
  expect(await finalLabels(t.labels)).toEqual(reference.labels);
  expect(storeLabels(db)).toEqual(reference.labels);
  await expectReferenceWindows(t.changelog);
}, 300_000);

test('(2) two instances split 6 partitions; one killed, the other takes its partitions from the changelog; restarted, it takes them back; the result equals one instance', async () => {
  const t = await streamTopics('pair');
  const [dbA, dbB] = [p('a.sqlite'), p('b.sqlite')];
  const opts = (db: string) => ({ db, models: p('models'), extra: ['--until-idle', '15'] });
  const a = startStream(t, opts(dbA));
  await until(() => /restored partitions/.test(a.log()), 60_000, 'the first instance to join');
  let b = startStream(t, opts(dbB));
  await until(() => /went to another member/.test(a.log()) && /restored partitions/.test(b.log()), 60_000, 'the partitions split between the two');
  const third = Math.floor(points.length / 3);
  await send(t, 0, third);
  await until(() => storedPoints(dbA) + storedPoints(dbB) >= third, 120_000, 'the first third consumed by the two');
  expect(storedPoints(dbA)).toBeGreaterThan(0);
  expect(storedPoints(dbB)).toBeGreaterThan(0);

  b.child.kill('SIGKILL');
  await b.exited;
  const before = a.log().length;
  // the survivor restores the dead one's partitions from the changelog it wrote
  await until(() => /restored partitions [\d, ]+ of \S+: \d+ vehicles, [1-9]\d* from/.test(a.log().slice(before)), 60_000, `the survivor restoring from the changelog: ${a.log().slice(before)}`);
  await send(t, third, 2 * third);
  await until(() => storedPoints(dbA) + storedPoints(dbB) >= 2 * third, 120_000, 'the second third consumed by the survivor');

  b = startStream(t, opts(dbB));
  // its store is behind what the survivor wrote meanwhile: it catches up from the changelog
  await until(() => /restored partitions [\d, ]+ of \S+: \d+ vehicles, [1-9]\d* from/.test(b.log()), 60_000, `the restarted instance restoring from the changelog: ${b.log()}`);
  expect(a.log().slice(before)).toMatch(/went to another member/);
  await send(t, 2 * third, points.length);
  expect(await a.exited, a.log()).toBe(0);
  expect(await b.exited, b.log()).toBe(0);
  expect(await finalLabels(t.labels)).toEqual(reference.labels);
  await expectReferenceWindows(t.changelog);
}, 300_000);

test('(3) the broker restarts mid-stream: the job goes on by itself and ends with the same labels', async () => {
  const t = await streamTopics('outage');
  const db = p('outage.sqlite');
  const half = Math.floor(points.length / 2);
  await send(t, 0, half);
  const s = startStream(t, { db, models: p('models'), extra: ['--until-idle', '40'] });
  await until(() => storedPoints(db) >= half || s.child.exitCode !== null, 120_000, 'the first half consumed');
  expect(await stopBroker(inject('kafkaHome'))).toBe(true);
  await new Promise((r) => setTimeout(r, 4_000));
  await startBroker({ dir: inject('kafkaHome'), port: inject('kafkaPort'), controllerPort: inject('kafkaControllerPort') });
  expect(s.child.exitCode, s.log()).toBeNull();
  await send(t, half, points.length);
  const code = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running'), 150_000))]);
  if (code === 'still running') s.child.kill('SIGKILL');
  expect(code, s.log()).toBe(0);
  expect(await finalLabels(t.labels)).toEqual(reference.labels);
  await expectReferenceWindows(t.changelog);
}, 300_000);

test('(4) a new current model version during the stream re-scores every vehicle with it, without a restart', async () => {
  const versions = p('versions');
  const v1 = await writeVersion(versions, async (into) => cpSync(resolveModelDir(p('models')).path, into, { recursive: true }));
  const t = await streamTopics('model');
  await send(t, 0, points.length);
  const db = p('model.sqlite');
  const s = startStream(t, { db, models: versions, extra: ['--model-poll-s', '0.5'] });
  const all = (v: string) => {
    const m = storeLabels(db);
    return m.size === reference.labels.size && [...m.values()].every((l) => l.modelVersion === v);
  };
  await until(() => s.child.exitCode !== null || all(v1), 120_000, 'every vehicle labelled by v1');
  expect(s.child.exitCode, s.log()).toBeNull();
  // v2: the same forests and CNN, combined with another weight, so its probabilities differ
  const v2 = await writeVersion(versions, async (into) => {
    cpSync(resolveModelDir(versions).path, into, { recursive: true });
    const mf = path.join(into, 'manifest.json');
    writeFileSync(mf, JSON.stringify({ ...JSON.parse(readFileSync(mf, 'utf8')), weightRf: 1 }));
  });
  expect(v2).not.toBe(v1);
  await until(() => s.child.exitCode !== null || all(v2), 120_000, 'every vehicle labelled by v2');
  expect(s.child.exitCode, s.log()).toBeNull();
  s.child.kill('SIGTERM');
  expect(await s.exited, s.log()).toBe(0);
  const labels = await finalLabels(t.labels);
  expect([...labels.values()].every((l) => l.modelVersion === v2)).toBe(true);
  expect(labels.size).toBe(reference.labels.size);
  const moved = [...labels].filter(([id, l]) => l.pShared !== reference.labels.get(id)!.pShared);
  expect(moved.length).toBeGreaterThan(0);
  expect(s.log()).toContain(`model ${v2}: re-scored ${reference.labels.size} vehicles`);
}, 300_000);

test('(5) a poison message goes to the dead-letter topic and its partition goes on', async () => {
  const t = await streamTopics('poison');
  const half = Math.floor(points.length / 2);
  await send(t, 0, half);
  const victim = points[half].vehicleId;
  const producer = new kafkajs.Kafka({ brokers: [brokers()], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: t.topic, messages: [{ key: victim, value: Buffer.from('{"vehicle_id": "' + victim + '", "ts": ') }] });
  await producer.disconnect();
  await send(t, half, points.length);
  const db = p('poison.sqlite');
  const s = startStream(t, { db, models: p('models') });
  expect(await s.exited, s.log()).toBe(0);
  const dlq = await readAll(t.dlq);
  expect(dlq).toHaveLength(1);
  expect(dlq[0].key).toBe(victim);
  // the store counts it by reason, committed with its partition's state
  const store = openStore(db, { readonly: true });
  const dead = streamHealth(store)?.deadLetters ?? [];
  store.close();
  expect(dead.map((d) => [d.topic, d.count])).toEqual([[t.topic, 1]]);
  expect(await finalLabels(t.labels)).toEqual(reference.labels);
  await expectReferenceWindows(t.changelog);
}, 300_000);

/** Prometheus text exposition, line by line; throws on a line that is not one. */
function parseProm(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*",?)*)\})? (-?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|NaN|\+Inf|-Inf))$/;
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

test('(6) /metrics parses as Prometheus text and the lag goes to 0 once drained; /healthz is ready', async () => {
  const t = await streamTopics('metrics');
  await send(t, 0, points.length);
  const s = startStream(t, { db: p('metrics.sqlite'), models: p('models'), extra: ['--metrics-port', '0'] });
  await until(() => /metrics on http:\/\/127\.0\.0\.1:\d+/.test(s.log()) || s.child.exitCode !== null, 60_000, 'the metrics port');
  const base = /metrics on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.log())![1];
  await until(async () => (await fetch(`${base}/healthz`)).status === 200, 60_000, 'ready');
  let samples: ReturnType<typeof parseProm> = [];
  const value = (name: string) => samples.filter((x) => x.name === name);
  await until(
    async () => {
      samples = parseProm(await (await fetch(`${base}/metrics`)).text());
      const lag = value('cotrans_stream_consumer_lag');
      return lag.length === 6 && lag.every((l) => l.value === 0) && value('cotrans_stream_points_total')[0]?.value === points.length;
    },
    120_000,
    'lag 0 on all 6 partitions',
  );
  expect(value('cotrans_stream_messages_total')[0].value).toBeGreaterThan(0);
  expect(value('cotrans_stream_vehicles')[0].value).toBe(reference.labels.size);
  expect(value('cotrans_stream_scoring_seconds_count')[0].value).toBeGreaterThan(0);
  expect(value('cotrans_stream_model_info')[0].labels.version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  expect(value('cotrans_stream_ready')[0]?.value ?? 1).toBe(1);
  // the same drained state, as the stream wrote it into the store for the dashboard
  const store = openStore(p('metrics.sqlite'), { readonly: true });
  const health = streamHealth(store);
  store.close();
  expect(health?.partitions.map((x) => [x.topic, x.partition, x.lag])).toEqual([0, 1, 2, 3, 4, 5].map((n) => [t.topic, n, 0]));
  expect(health?.members).toHaveLength(1);
  expect(Date.now() - Date.parse(health!.updatedAt)).toBeLessThan(120_000);
  expect(s.child.exitCode).toBeNull();
  s.child.kill('SIGTERM');
  expect(await s.exited, s.log()).toBe(0);
}, 300_000);

test('(7) /healthz answers 503 while the group has not assigned or the changelog restore is still running, 200 once restored', async () => {
  // a changelog with every vehicle's window, written by one stream run
  const t = await streamTopics('ready');
  await send(t, 0, points.length);
  const first = startStream(t, { db: p('ready-first.sqlite'), models: p('models') });
  expect(await first.exited, first.log()).toBe(0);

  // a second member with an empty store, in process, whose restore waits at a gate: the real
  // broker answers every call, the gate only holds back the changelog's offsets until released
  let reached = false;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const kafka = new kafkajs.Kafka({ brokers: [brokers()], logLevel: kafkajs.logLevel.NOTHING });
  const gated = new Proxy(kafka, {
    get(target, prop) {
      if (prop !== 'admin') return Reflect.get(target, prop, target);
      return () => {
        const admin = target.admin();
        const fetch = admin.fetchTopicOffsets.bind(admin);
        admin.fetchTopicOffsets = async (topic: string) => {
          if (topic === t.changelog) {
            reached = true;
            await gate;
          }
          return fetch(topic);
        };
        return admin;
      };
    },
  });
  const { model, version } = await loadCurrentModel(p('models'));
  const store = new SqliteWindowStore(p('ready-second.sqlite'), { tz: model.manifest.features.tz, windowDays: 7, imageSize: model.manifest.features.imageSize }, 'write', 'by-partition');
  const clock = clockFor(model.manifest.features.tz);
  const job: StreamJob = new StreamJob({
    kafka: gated, topic: t.topic, labelsTopic: t.labels, changelogTopic: t.changelog, store, labels: new StoreLabelLog(store.db),
    schedule: { debounceMs: 15 * 60_000, staleMs: 24 * 3_600_000, windowDays: 7, dayOf: (ts) => clock.dayOf(ts), dayStart: (day) => localMidnightUtc(model.manifest.features.tz, dayKey(day)) },
    model: { version, scorer: model },
  });
  const metrics = new StreamMetrics({ lag: async () => [] }, () => job.counts, () => job.ready);
  const server = await serveMetrics(metrics, 0, () => job.ready, '127.0.0.1');
  const health = async () => {
    const r = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    return { status: r.status, body: (await r.json()) as { ready: boolean } };
  };
  let consumer: Awaited<ReturnType<typeof runConsumer>> | undefined;
  try {
    expect(await health()).toEqual({ status: 503, body: { ready: false } }); // no group yet
    await job.start();
    consumer = await runConsumer({ brokers: brokers(), groupId: `${t.group}-second`, topic: t.topic, dlqTopic: t.dlq, handler: job, alignOffsets: false, sessionTimeoutMs: 6000 });
    await until(() => reached, 60_000, 'the restore reaching the changelog');
    expect(await health()).toEqual({ status: 503, body: { ready: false } }); // assigned, restore running
    expect(job.counts.vehicles).toBe(0);
    release();
    await until(async () => (await health()).status === 200, 60_000, 'ready after the restore');
    expect((await health()).body).toEqual({ ready: true });
    // ready means restored: every vehicle of the changelog is held, before any point is consumed again
    expect(job.counts.vehicles).toBe(reference.labels.size);
  } finally {
    release();
    await consumer?.stop();
    await job.close();
    server.server.close();
    store.close();
  }
}, 300_000);
