// (b) The consumer process (`cotrans consume`) is killed with SIGKILL at random moments three times and
// restarted; its final state equals that of an uninterrupted run, point for point.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { replay, SqlitePointStore } from '@cotrans/ingest';
import { makeFleet } from './helpers/fleet.js';
import { brokers, freshTopics, until, cliBin } from './helpers/kafka.js';
import { sqliteCounter } from '@cotrans/testkit';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cotrans-kafka-b-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function consume(db: string, t: { topic: string; dlq: string }, group: string): { child: ChildProcess; exited: Promise<number | null>; log: () => string } {
  let log = '';
  const child = spawn(
    process.execPath,
    [cliBin(), 'consume', '--out', db, '--brokers', brokers(), '--topic', t.topic, '--dlq-topic', t.dlq, '--group', group, '--until-idle', '4', '--session-timeout-ms', '6000', '--fetch-bytes', '16384'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, log: () => log };
}

const storedPoints = (db: string): number => sqliteCounter(db, 'points');

function dump(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      points: d.prepare('SELECT * FROM points ORDER BY vehicle_id, ts').all(),
      vehicles: d.prepare('SELECT * FROM vehicles ORDER BY vehicle_id').all(),
      counters: Object.fromEntries((d.prepare('SELECT name, value FROM counters').all() as { name: string; value: number }[]).map((r) => [r.name, r.value])),
    };
  } finally {
    d.close();
  }
}

test('(b) SIGKILL at 3 random moments: the final state equals an uninterrupted run, point for point', async () => {
  const fleet = makeFleet({ vehicles: 30, days: 2, intervalS: 30, seed: 11 });
  const t = await freshTopics('b', 4);
  // The stream goes onto the topic in parts, each a little ahead of the next kill, so a kill always
  // lands before the end of what is there however fast the consumer runs (a 2-core CI machine once
  // saw a consumer finish the stream between two polls of its store).
  const ends = [0.38, 0.66, 0.94, 1].map((f) => Math.floor(fleet.length * f));
  let sentPoints = 0;
  const sendUpTo = async (end: number) => {
    sentPoints += (await replay([fleet.slice(sentPoints, end)], { brokers: brokers(), topic: t.topic, maxPointsPerMessage: 20 })).points;
  };

  // The interrupted run: kill at a random point inside each third of the stream.
  const crashedDb = join(dir, 'crashed.sqlite');
  const kills: number[] = [];
  for (let k = 0; k < 3; k++) {
    await sendUpTo(ends[k]);
    const at = Math.floor(fleet.length * (0.1 + k * 0.28 + Math.random() * 0.2));
    const c = consume(crashedDb, t, `${t.group}-crashed`);
    await until(() => storedPoints(crashedDb) >= at || c.child.exitCode !== null, 120_000, `${at} points stored before kill ${k + 1}`);
    expect(c.child.exitCode, `consumer exited before kill ${k + 1}: ${c.log()}`).toBeNull();
    c.child.kill('SIGKILL');
    await c.exited;
    kills.push(storedPoints(crashedDb));
    expect(kills[k]).toBeGreaterThanOrEqual(at);
    expect(kills[k]).toBeLessThanOrEqual(ends[k]);
  }
  await sendUpTo(ends[3]);
  expect(sentPoints).toBe(fleet.length);
  const last = consume(crashedDb, t, `${t.group}-crashed`);
  expect(await last.exited, last.log()).toBe(0);

  // The uninterrupted run, same topic, its own group and state.
  const cleanDb = join(dir, 'clean.sqlite');
  const clean = consume(cleanDb, t, `${t.group}-clean`);
  expect(await clean.exited, clean.log()).toBe(0);

  const a = dump(crashedDb);
  const b = dump(cleanDb);
  expect(a.counters.points).toBe(fleet.length);
  expect(a.points.length).toBe(fleet.length);
  expect(a.points).toEqual(b.points);
  // per-vehicle counts and order-sensitive digests: nothing applied twice, nothing out of order
  expect(a.vehicles).toEqual(b.vehicles);
  expect(a.counters.duplicate_points ?? 0).toBe(0);
  const store = new SqlitePointStore(crashedDb);
  try {
    const want = fleet.filter((p) => p.vehicleId === 'veh-007');
    expect(store.points('veh-007')).toEqual(want);
  } finally {
    store.close();
  }
}, 300_000);
