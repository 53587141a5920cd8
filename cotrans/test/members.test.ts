// A bag's members trained on worker threads (member-pool.ts) against the same members in-thread: the
// built worker must give the same models, byte for byte, and bring a member's errors back as they are.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '@cotrans/core';
import { writeFleet } from '@cotrans/fixtures';
import { loadFleet, readLabels, type LoadedFleet, type LabelRow } from '../src/io.js';
import { trainOne, type TrainInput, type TrainOptions } from '../src/pipeline.js';
import { trainMembers } from '../src/member-pool.js';
import { workerScriptNextTo } from '../src/worker-script.js';

const builtPool = new URL('../dist/member-pool.js', import.meta.url);
const script = workerScriptNextTo(builtPool.href, 'member-worker');
let dir: string;
let source: LoadedFleet;
let target: LoadedFleet;
let labels: LabelRow[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-members-'));
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, path.join(dir, 'src'));
  await writeFleet({ preset: 'target', vehicles: 50, days: 3, seed: 4, sharedShare: 0.3 }, path.join(dir, 'tgt'));
  const tz = JSON.parse(readFileSync(path.join(dir, 'src', 'city.json'), 'utf8')).tz as string;
  source = await loadFleet(path.join(dir, 'src', 'points.csv.gz'), { tz });
  target = await loadFleet(path.join(dir, 'tgt', 'points.csv.gz'), { tz });
  labels = await readLabels(path.join(dir, 'src', 'labels.csv'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small: TrainOptions = { cotrain: { maxRounds: 2, image: { cnn: { maxEpochs: 2 } } } };
/** Every file of a model directory but its manifests (which hold the time they were written), as base64. */
const files = (d: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(d, { recursive: true, encoding: 'utf8' })
      .filter((f) => statSync(path.join(d, f)).isFile() && path.basename(f) !== 'manifest.json')
      .sort()
      .map((f) => [f, readFileSync(path.join(d, f)).toString('base64')]),
  );

describe('bag members on worker threads', () => {
  it.skipIf(!script || !existsSync(fileURLToPath(builtPool)))('give the models and results of the same members trained in-thread', async () => {
    const input: TrainInput = { source, sourceLabels: labels, target, tz: target.tz };
    const stages: string[] = [];
    const rounds: number[] = [];
    const opts: TrainOptions = { ...small, onStage: (s, d) => stages.push(`${s}:${d?.seed}`), onRound: (_, seed) => rounds.push(seed) };
    const inThread = await trainMembers(input, small, [0, 1], (s) => trainOne(input, small, s), 1);
    const onWorkers = await trainMembers(input, opts, [0, 1], () => Promise.reject(new Error('not in-thread')), 2, script);
    try {
      for (const k of [0, 1]) {
        const a = inThread[k];
        const b = onWorkers[k];
        expect(b.cotrain.pShared).toEqual(a.cotrain.pShared);
        expect(b.cotrain.sets).toEqual(a.cotrain.sets);
        expect(b.stage1.seeds).toEqual(a.stage1.seeds);
        expect(b.stage1.rf.toJSON()).toEqual(a.stage1.rf.toJSON());
        expect(b.targetIds).toEqual(a.targetIds);
        const da = path.join(dir, `a${k}`);
        const db = path.join(dir, `b${k}`);
        await a.model.writeInto(da);
        await b.model.writeInto(db);
        expect(files(db)).toEqual(files(da));
        const pa = await a.model.classify(target.features, target.images);
        const pb = await b.model.classify(target.features, target.images);
        expect(pb).toEqual(pa);
      }
      // progress came back from the workers, named by member
      expect(stages).toEqual(expect.arrayContaining(['member:0', 'member:1', 'stage1:0', 'stage2:1']));
      expect(new Set(rounds)).toEqual(new Set([0, 1]));
    } finally {
      for (const r of [...inThread, ...onWorkers]) r.model.dispose();
    }
  });

  it.skipIf(!script || !existsSync(fileURLToPath(builtPool)))("brings a member's user error back as one", async () => {
    const privateOnly = labels.map((l) => ({ ...l, shared: false }));
    const input: TrainInput = { source, sourceLabels: privateOnly, target, tz: target.tz };
    const err = await trainMembers(input, small, [0, 1], () => Promise.reject(new Error('not in-thread')), 2, script).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/single class \(private only\)/);
  });
});
