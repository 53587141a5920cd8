// Streaming features through the real broker: a simulated fleet replayed into a fresh topic, consumed
// by runConsumer into SqliteWindowStore with a stop, a close and a restart (windows restored from the
// file, offsets resumed) between the two halves, gives computeFleet's features and images exactly.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, runConsumer, type GpsPoint } from '@cotrans/ingest';
import { generateFleet } from '@cotrans/fixtures';
import { computeFleet, SqliteWindowStore } from '@cotrans/features';
import { brokers, freshTopics, until, cliBin, storedPoints } from '../../ingest/test/helpers/kafka.js';
// the broker's provided context (inject('kafkaBrokers')) for the typecheck
import type {} from '../../ingest/test/kafka.global-setup.js';

// a computed path keeps the features typecheck out of the CLI's sources
const mainPath = ['..', '..', 'cli', 'src', 'main.ts'].join('/');

/** `cotrans <argv>` in-process, output captured. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = (await import(/* @vite-ignore */ mainPath)) as { main: (a: string[]) => Promise<number> };
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-window-store-kafka-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function consumeUntil(store: SqliteWindowStore, t: { topic: string; dlq: string; group: string }, points: number): Promise<{ deadLetters: number; skippedReplayed: number }> {
  const c = await runConsumer({ brokers: brokers(), groupId: t.group, topic: t.topic, dlqTopic: t.dlq, handler: store, sessionTimeoutMs: 6000 });
  try {
    await Promise.race([until(() => store.counters().points >= points, 60_000, `${points} points in the window store`), c.done]);
  } finally {
    await c.stop();
  }
  return { deadLetters: c.stats.deadLetters, skippedReplayed: c.stats.skippedReplayed };
}

describe('SqliteWindowStore behind runConsumer (real broker)', () => {
  test('a replayed fleet, consumed in two runs with a restart between, equals computeFleet on the same points', async () => {
    const fleet = generateFleet({ preset: 'target', vehicles: 12, days: 2, seed: 33, sharedShare: 0.5 });
    const tz = fleet.city.tz;
    const chunks: GpsPoint[][] = [...fleet.points()];
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const half = Math.floor(chunks.length / 2);
    const firstHalf = chunks.slice(0, half).reduce((a, c) => a + c.length, 0);
    const ref = await computeFleet(chunks, { tz });
    expect(ref.features.length).toBeGreaterThan(8);

    const t = await freshTopics('windows', 3);
    const file = join(dir, 'windows.sqlite');
    // small messages, so a run spans many batches and partitions
    const sent1 = await replay(chunks.slice(0, half), { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 50, bufferPoints: 2048 });
    expect(sent1.points).toBe(firstHalf);
    let store = new SqliteWindowStore(file, { tz });
    const run1 = await consumeUntil(store, t, firstHalf);
    expect(store.counters().points).toBe(firstHalf);
    const offsets = [0, 1, 2].map((p) => store.resumeOffset(t.topic, p));
    // the vehicles of the first half may land on fewer than the 3 partitions (private cars idle on some days)
    expect(offsets.some((o) => o !== undefined && Number(o) > 0)).toBe(true);
    store.close();

    const sent2 = await replay(chunks.slice(half), { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 50, bufferPoints: 2048 });
    expect(sent1.points + sent2.points).toBe(total);
    store = new SqliteWindowStore(file, { tz });
    expect(store.vehicles).toBe(new Set(chunks.slice(0, half).flat().map((p) => p.vehicleId)).size); // restored from the file
    const run2 = await consumeUntil(store, t, total);
    try {
      expect(run1.deadLetters + run2.deadLetters).toBe(0);
      const c = store.counters();
      expect(c.points).toBe(total);
      expect(c.messages).toBe(sent1.messages + sent2.messages);

      const got = store.results();
      expect(got.cleaning.late).toBe(0);
      expect(got.features).toEqual(ref.features); // exact, NaN included
      expect(got.cleaning).toEqual(ref.cleaning);
      expect([...got.images.keys()]).toEqual([...ref.images.keys()]);
      for (const [id, w] of ref.images) {
        const g = got.images.get(id)!;
        expect(g.dayKeys, id).toEqual(w.dayKeys);
        expect(g.days.map((d) => Array.from(d)), id).toEqual(w.days.map((d) => Array.from(d)));
        expect(Array.from(g.aggregate), id).toEqual(Array.from(w.aggregate));
      }
    } finally {
      store.close();
    }
  });

  test('cotrans consume --windows fills the windows file and prints a one-line summary; the file equals computeFleet', async () => {
    const fleet = generateFleet({ preset: 'target', vehicles: 6, days: 2, seed: 34 });
    const tz = fleet.city.tz;
    const chunks: GpsPoint[][] = [...fleet.points()];
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const ref = await computeFleet(chunks, { tz, imageSize: 32 });
    const nVehicles = ref.features.length;
    expect(nVehicles).toBeGreaterThan(2);
    const t = await freshTopics('windows-cli', 2);
    const sent = await replay(chunks, { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 100 });
    const file = join(dir, 'cli-windows.sqlite');
    const args = ['consume', '--windows', file, '--brokers', brokers(), '--topic', t.topic, '--dlq-topic', t.dlq, '--group', t.group, '--until-idle', '5', '--session-timeout-ms', '6000'];
    const r = await cli([...args, '--tz', tz, '--image-size', '32']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^consumed ${sent.messages} messages, ${total} points this run; dead letters 0; windows ${file.replace(/[.]/g, '\\.')}: ${nVehicles} vehicles, ${total} points, 0 dead letters in total \\(late 0, duplicates \\d+, jumps \\d+\\)\n$`));
    // a second run finds nothing new; the options come from the file
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`consumed 0 messages, 0 points this run; dead letters 0; windows ${file}: ${nVehicles} vehicles, ${total} points`);
    const store = new SqliteWindowStore(file);
    try {
      expect(store.opts.imageSize).toBe(32);
      const got = store.results();
      expect(got.features).toEqual(ref.features);
      for (const [id, w] of ref.images) expect(Array.from(got.images.get(id)!.aggregate), id).toEqual(Array.from(w.aggregate));
    } finally {
      store.close();
    }
  });

  test('the built `cotrans consume --windows` killed with SIGKILL mid-stream and restarted: nothing lost, nothing counted twice', async () => {
    const fleet = generateFleet({ preset: 'target', vehicles: 16, days: 3, seed: 35 });
    const tz = fleet.city.tz;
    const chunks: GpsPoint[][] = [...fleet.points()];
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const ref = await computeFleet(chunks, { tz });
    const t = await freshTopics('windows-kill', 3);
    // Only the first 40% is on the topic while the first consumer runs, so the kill always lands
    // before the end of the stream however fast the consumer is (a 2-core CI machine once saw it
    // finish everything between two polls of the store); the rest comes after the kill.
    const flat = chunks.flat();
    const cut = Math.floor(total * 0.4);
    await replay([flat.slice(0, cut)], { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 20 });
    const file = join(dir, 'killed.sqlite');
    const stored = () => storedPoints(file);
    const consume = () => {
      let log = '';
      // small fetches: many batches, many transactions to land a kill between
      const child = spawn(process.execPath, [cliBin(), 'consume', '--windows', file, '--tz', tz, '--brokers', brokers(), '--topic', t.topic, '--dlq-topic', t.dlq, '--group', t.group, '--until-idle', '3', '--session-timeout-ms', '6000', '--fetch-bytes', '2048'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d) => (log += d));
      child.stderr.on('data', (d) => (log += d));
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      return { child, exited, log: () => log };
    };
    const first = consume();
    const at = Math.floor(total * (0.1 + Math.random() * 0.25));
    await until(() => stored() >= at || first.child.exitCode !== null, 60_000, `${at} points stored before the kill`);
    expect(first.child.exitCode, `consumer exited before the kill: ${first.log()}`).toBeNull();
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = stored();
    expect(atKill).toBeGreaterThanOrEqual(at);
    expect(atKill).toBeLessThanOrEqual(cut);
    await replay([flat.slice(cut)], { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 20 });
    const second = consume();
    expect(await second.exited, second.log()).toBe(0);
    expect(second.log()).toContain(`${total} points, 0 dead letters in total (late 0,`);

    const store = new SqliteWindowStore(file);
    try {
      expect(store.counters().points).toBe(total);
      expect(store.cleaning().input).toBe(total); // every fix reached its window exactly once
      const got = store.results();
      expect(got.features).toEqual(ref.features);
      expect(got.cleaning).toEqual(ref.cleaning);
      for (const [id, w] of ref.images) expect(Array.from(got.images.get(id)!.aggregate), id).toEqual(Array.from(w.aggregate));
    } finally {
      store.close();
    }
  });
});
