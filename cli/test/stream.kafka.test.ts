// `cotrans stream` on the real broker: a small simulated fleet, a tiny model trained once, and the
// job's results (labels on the labels topic and in the store, features of the changelog's last
// windows) compared vehicle by vehicle with one uninterrupted run.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateFleet, writeFleet } from '@cotrans/fixtures';
import { replay, type GpsPoint } from '@cotrans/ingest';
import type { VehicleFeatures } from '@cotrans/features';
import { brokers, until } from '../../ingest/test/helpers/kafka.js';
import type {} from '../../ingest/test/kafka.global-setup.js';
import { run } from './helpers/run.js';
import { changelogFeatures, finalLabels, startStream, storedPoints, storeLabels, streamTopics, type StreamTopics } from './helpers/stream.js';

let dir: string;
const p = (...s: string[]) => path.join(dir, ...s);
let points: GpsPoint[];
let reference: { labels: Map<string, Record<string, unknown>>; features: Map<string, VehicleFeatures> };

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
  reference = { labels: await finalLabels(t.labels), features: await changelogFeatures(t.changelog) };
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
  expect(storedPoints(db)).toBe(points.length);
  expect(await finalLabels(t.labels)).toEqual(reference.labels);
  expect(storeLabels(db)).toEqual(reference.labels);
  expect(featureValues(await changelogFeatures(t.changelog))).toEqual(featureValues(reference.features));
}, 300_000);
