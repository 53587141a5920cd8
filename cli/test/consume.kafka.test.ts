// `cotrans consume --windows` against the real broker: in-process, the windows file it fills equals
// computeFleet on the same points; the built command killed with SIGKILL mid-stream and restarted
// loses nothing and counts nothing twice.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { replay, type GpsPoint } from '@cotrans/ingest';
import { generateFleet } from '@cotrans/fixtures';
import { computeFleet, SqliteWindowStore } from '@cotrans/features';
import { sqliteCounter, tempDir } from '@cotrans/testkit';
import { brokers, freshTopics, until, cliBin } from '../../ingest/test/helpers/kafka.js';
// the broker's provided context (inject('kafkaBrokers')) for the typecheck
import type {} from '../../ingest/test/kafka.global-setup.js';
import { run as cli } from './helpers/run.js';

let dir: string;
let remove: () => void;
beforeAll(() => {
  ({ dir, remove } = tempDir('cotrans-consume-kafka-'));
});
afterAll(() => remove());

describe('cotrans consume --windows (real broker)', () => {
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
    const stored = () => sqliteCounter(file, 'points');
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
