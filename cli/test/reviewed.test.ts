// Reviews as labelled target data and as the truth of an evaluation, through the real commands:
// `run` labels a simulated fleet into a store, a reviewer's verdicts go into the same store, then
// `evaluate --reviewed` scores the reviewed cars alone and `train --target-labels reviews` trains on them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFleet } from '@cotrans/fixtures';
import { openStore } from '@cotrans/ingest';
import { latestLabels, migrateLabels, resolveModelDir, type Manifest } from '@cotrans/cotrans';
import { ReviewStore } from '@cotrans/dashboard';
import { errorLine, run } from './helpers/run.js';

let dir: string;
const p = (...s: string[]) => path.join(dir, ...s);
const small = ['--members', '1', '--epochs', '2', '--rounds', '1', '--image-mode', 'day'];
const train = (): string[] => ['--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv')];
const manifestOf = (models: string): Manifest => JSON.parse(readFileSync(path.join(resolveModelDir(models).path, 'manifest.json'), 'utf8')) as Manifest;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-reviewed-'));
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, p('src'));
  await writeFleet({ preset: 'target', vehicles: 50, days: 3, seed: 4, sharedShare: 0.3 }, p('tgt'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reviews in training and evaluation', () => {
  it('a reviewed label becomes a seed of the next train, and evaluate --reviewed scores the reviewed cars alone', async () => {
    const r = await run(['run', '--input', p('tgt', 'points.csv.gz'), ...train(), '--models', p('m1'), '--db', p('store.sqlite'), ...small]);
    expect(r.code, r.err).toBe(0);
    const before = manifestOf(p('m1'));
    const seeded = new Map(before.seeds.map((s) => [s.vehicleId, s.label]));
    const db = openStore(p('store.sqlite'));
    const labels = latestLabels(db).filter((l) => !l.flags.length);
    // a corrected vehicle that stage 1 did not seed, and one it seeded with the other label
    const fresh = labels.find((l) => !seeded.has(l.vehicleId))!;
    const seededOne = labels.find((l) => seeded.has(l.vehicleId))!;
    const flip = (v: string) => (v === 'shared' ? 'private' : 'shared');
    const reviews = new ReviewStore(db);
    reviews.add({ vehicleId: fresh.vehicleId, verdict: flip(fresh.label), note: '', reviewer: 'ana', at: Date.now() });
    reviews.add({ vehicleId: seededOne.vehicleId, verdict: flip(seeded.get(seededOne.vehicleId)!), note: '', reviewer: 'bo', at: Date.now() });
    const unsure = labels.find((l) => l.vehicleId !== fresh.vehicleId && l.vehicleId !== seededOne.vehicleId)!;
    reviews.add({ vehicleId: unsure.vehicleId, verdict: 'unsure', note: '', reviewer: 'bo', at: Date.now() });
    db.close();

    const ev = await run(['evaluate', '--reviewed', '--db', p('store.sqlite')]);
    expect(ev.code, ev.err).toBe(0);
    const total = latestLabels(openStore(p('store.sqlite'), { readonly: true })).length;
    expect(ev.out).toContain(`2 vehicles scored against the reviews in ${p('store.sqlite')}; ${total - 2} predicted vehicle(s) without a review left out.`);
    // the fresh vehicle's verdict contradicts its label: at most the other one is right
    expect(ev.out).toMatch(/\| accuracy \| (0\.0|50\.0)% \|/);

    const t = await run(['train', ...train(), '--target', p('tgt', 'points.csv.gz'), '--models', p('m2'), '--target-labels', 'reviews', '--db', p('store.sqlite'), ...small]);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toContain('target labels: 2 of 2 as seeds');
    expect(t.out).toContain('1 stage-1 seed(s) turned round');
    const after = manifestOf(p('m2'));
    const seeds = new Map(after.seeds.map((s) => [s.vehicleId, s]));
    expect(seeds.get(fresh.vehicleId)).toEqual({ vehicleId: fresh.vehicleId, label: flip(fresh.label), confidence: 1 });
    expect(seeds.get(seededOne.vehicleId)!.label).toBe(flip(seeded.get(seededOne.vehicleId)!));
    expect(after.metrics.targetLabels).toEqual({ given: 2, used: 2, shared: [flip(fresh.label), flip(seeded.get(seededOne.vehicleId)!)].filter((v) => v === 'shared').length, overturned: 1, unmatched: 0 });
    // everything else is stage 1's, as in the same training without reviews
    const plain = await run(['train', ...train(), '--target', p('tgt', 'points.csv.gz'), '--models', p('m0'), ...small]);
    expect(plain.code, plain.err).toBe(0);
    const others = (m: Manifest) => m.seeds.filter((s) => s.vehicleId !== fresh.vehicleId && s.vehicleId !== seededOne.vehicleId).sort((a, b) => (a.vehicleId < b.vehicleId ? -1 : 1));
    expect(others(after)).toEqual(others(manifestOf(p('m0'))));
    expect(manifestOf(p('m0')).seeds.some((s) => s.vehicleId === fresh.vehicleId && s.label === flip(fresh.label))).toBe(false);
  }, 300_000);

  it('names what is missing: --db for reviews, reviews in the store, any verdict to use', async () => {
    expect(errorLine(await run(['train', ...train(), '--target', p('tgt', 'points.csv.gz'), '--models', p('m3'), '--target-labels', 'reviews']), 'train')).toMatch(/--target-labels reviews needs --db FILE/);
    expect(errorLine(await run(['evaluate', '--reviewed']), 'evaluate')).toMatch(/--reviewed needs --db FILE/);
    const bare = p('bare.sqlite');
    const db = openStore(bare);
    migrateLabels(db);
    db.close();
    expect(errorLine(await run(['evaluate', '--reviewed', '--db', bare]), 'evaluate')).toMatch(/bare\.sqlite.*holds no dashboard\.reviews tables/);
    const empty = p('empty.sqlite');
    const e = openStore(empty);
    migrateLabels(e);
    new ReviewStore(e).add({ vehicleId: 'x', verdict: 'unsure', note: '', reviewer: 'ana', at: 1 });
    e.close();
    expect(errorLine(await run(['train', ...train(), '--target', p('tgt', 'points.csv.gz'), '--models', p('m3'), '--target-labels', 'reviews', '--db', empty]), 'train')).toMatch(/empty\.sqlite: no shared or private verdict to train on/);
  }, 60_000);
});
