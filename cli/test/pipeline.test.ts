// The learning commands end to end (train, classify, evaluate, the experiment) on tiny simulated fleets,
// run in-process from the CLI sources; the model directory they write is read back by the library.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFleet } from '@cotrans/fixtures';
import { csvCells } from '@cotrans/core';
import { parseCommandArgs } from '../src/kit.js';
import { command as train } from '../src/commands/train.js';
import { command as classify } from '../src/commands/classify.js';
import { command as evaluate } from '../src/commands/evaluate.js';
import { command as experiment } from '../src/commands/experiment.js';
import { CoTransBag, CoTransModel, currentVersion, loadFleet, loadModel, readLabels, readPredictions, resolveModelDir, trainCoTrans } from '@cotrans/cotrans';

// Tiny fleets written as files, run through the real commands (features, stage 1, co-training,
// model directory, classify, evaluate). Small nets and few epochs keep it to seconds.
let dir: string;
const run = async (cmd: typeof train, argv: string[]) => {
  const a = parseCommandArgs(cmd, argv);
  if (a === 'help') throw new Error('help');
  const out: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await cmd.run(a);
  } finally {
    process.stdout.write = orig;
    process.stderr.write = origErr;
  }
  return out.join('');
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-learn-'));
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, path.join(dir, 'src'));
  await writeFleet({ preset: 'target', vehicles: 50, days: 3, seed: 4, sharedShare: 0.3 }, path.join(dir, 'tgt'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const p = (...s: string[]) => path.join(dir, ...s);
const trainArgs = (models: string, labels = p('src', 'labels.csv'), target = p('tgt', 'points.csv.gz')) => [
  '--source', p('src', 'points.csv.gz'), '--source-labels', labels, '--target', target, '--models', models, '--epochs', '3', '--rounds', '2', '--image-mode', 'day',
];

describe('train / classify / evaluate', () => {
  it('trains a versioned model directory, classifies every vehicle, and scores it', async () => {
    const models = p('models');
    const log = await run(train, trainArgs(models));
    expect(log).toMatch(/stage 2: \d round/);
    expect(log).toMatch(/M1 also trained on the \d+ source vehicles/);
    expect(log).toMatch(/bag: 3 runs \(train seeds 0, 1, 2;.*by the mean margin [\d.]+%/);
    // a new version, current; a bag of three runs by default: its own manifest, one version-2 directory per run
    const v = resolveModelDir(models).path;
    expect(path.relative(models, v)).toBe(path.join('versions', currentVersion(models)!));
    const bag = JSON.parse(readFileSync(path.join(v, 'manifest.json'), 'utf8'));
    expect(bag).toMatchObject({ format: 'cotrans-models', version: 3, members: [0, 1, 2] });
    expect(bag.metrics.members.map((x: { seed: number }) => x.seed)).toEqual([0, 1, 2]);
    const m = JSON.parse(readFileSync(path.join(v, 'members', '0', 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({ format: 'cotrans-models', version: 2 });
    expect(m.config).toMatchObject({ seed: 0, members: 3 });
    expect(JSON.parse(readFileSync(path.join(v, 'members', '2', 'manifest.json'), 'utf8')).config.seed).toBe(2);
    expect(m.stage1.alignment).toBe('anchored');
    expect(m.decision).toMatchObject({ combine: 'logit', rule: 'otsu' });
    // M1 trained on the source as well, so it reads the target on the stored scale
    expect(m.config.m1Source).toBe(true);
    expect(m.m1Scale.mean).toHaveLength(m.columns.full.length);
    expect(Number.isFinite(m.decision.threshold)).toBe(true);
    expect(m.weightRf).toBe(0.25);
    // M2 scores a vehicle by its best days (CLI defaults)
    expect(JSON.parse(readFileSync(path.join(v, 'members', '0', 'image', 'image-model.json'), 'utf8')).options).toMatchObject({ mode: 'day', dayScore: 'top', topDays: 2 });
    expect(m.columns.transferable).toHaveLength(15);
    expect(m.data.source).toMatch(/^[0-9a-f]{64}$/);
    expect(m.seeds.length).toBeGreaterThan(0);
    expect(m.rounds.length).toBeGreaterThan(0);
    for (const i of ['0', '1', '2']) for (const f of ['m1-rf.json', 'image/cnn-day.weights.bin']) expect(existsSync(path.join(v, 'members', i, f))).toBe(true);
    // nothing reads stage 1's forest after training, so it is not written
    expect(existsSync(path.join(v, 'members', '0', 'stage1-rf.json'))).toBe(false);

    const pred = p('pred.csv');
    await run(classify, ['--models', models, '--input', p('tgt', 'points.csv.gz'), '--out', pred]);
    const rows = await readPredictions(pred);
    const truth = readFileSync(p('tgt', 'labels.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.map((r) => r.vehicleId).sort()).toEqual(truth.map((l) => l.split(',')[0]).sort());
    for (const r of rows) {
      expect(r.pShared).toBeGreaterThanOrEqual(0);
      expect(r.pShared).toBeLessThanOrEqual(1);
      expect(r.shared).toBe(r.pShared >= 0.5);
    }
    // classify again from a reloaded model: same output but for the time of scoring (the last column)
    const again = p('pred2.csv');
    await run(classify, ['--models', models, '--input', p('tgt', 'points.csv.gz'), '--out', again]);
    const rowsOf = (f: string) => readFileSync(f, 'utf8').split('\n').map((l) => l.replace(/,[^,]*$/, ''));
    expect(rowsOf(again)).toEqual(rowsOf(pred));
    expect(readFileSync(pred, 'utf8').split('\n')[1]).toContain(`,${currentVersion(models)},`);

    const report = await run(evaluate, ['--pred', pred, '--truth', p('tgt', 'labels.csv'), '--out', p('report.md')]);
    expect(report).toMatch(/F1 \(shared\)/);
    expect(report).toMatch(/\| private \| private \|/);
    const acc = Number(/\| accuracy \| ([\d.]+)%/.exec(report)![1]);
    expect(acc).toBeGreaterThan(60);

    // a bag read as one model, a bag without members, an incompatible version: user errors
    await expect(CoTransModel.load(models)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/version 3 is incompatible .*read it with loadModel/) });
    const mf = path.join(v, 'manifest.json');
    writeFileSync(mf, JSON.stringify({ ...bag, members: [] }));
    await expect(loadModel(models)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/lists no members/) });
    writeFileSync(mf, JSON.stringify({ ...bag, version: 99 }));
    await expect(loadModel(models)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/version 99 is incompatible/) });
    await expect(run(classify, ['--models', models, '--input', p('tgt', 'points.csv.gz'), '--out', pred])).rejects.toMatchObject({ exitCode: 1 });
    await expect(run(classify, ['--models', p('nowhere'), '--input', p('tgt', 'points.csv.gz'), '--out', pred])).rejects.toMatchObject({ exitCode: 1 });
  }, 120_000);

  it('classifies the training target exactly as training scored it (M1 on the stored scale; one run or a bag)', async () => {
    const src = await loadFleet(p('src', 'points.csv.gz'), { tz: 'America/Los_Angeles' });
    const tgt = await loadFleet(p('tgt', 'points.csv.gz'), { tz: 'Europe/Berlin' });
    const small = { cotrain: { maxRounds: 2, image: { cnn: { maxEpochs: 3 } } } };
    const input = { source: src, sourceLabels: await readLabels(p('src', 'labels.csv')), target: tgt, tz: 'Europe/Berlin' };
    const one = await trainCoTrans(input, { ...small, members: 1 });
    expect(one.model).toBeInstanceOf(CoTransModel);
    expect(one.pShared).toEqual(one.cotrain.pShared);
    await one.model.save(p('m-scale'));
    const rows = await (await loadModel(p('m-scale'))).classify(tgt.features, tgt.images);
    const byId = new Map(rows.map((r) => [r.vehicleId, r]));
    one.targetIds.forEach((id, i) => {
      expect(byId.get(id)!.pShared).toBeCloseTo(one.cotrain.pShared[i], 9);
      expect(byId.get(id)!.pRf).toBeCloseTo(one.cotrain.pRf[i], 9);
    });
    // a bag of two: member 0 is the run above (same seed), member 1 another seed; the label is the
    // sign of the mean of their margins, in training and after a reload alike
    const two = await trainCoTrans(input, { ...small, members: 2 });
    expect(two.model).toBeInstanceOf(CoTransBag);
    expect(two.members.map((m) => m.seed)).toEqual([0, 1]);
    expect(two.members[0].cotrain.pShared).toEqual(one.cotrain.pShared);
    expect(two.members[1].cotrain.pShared).not.toEqual(one.cotrain.pShared);
    const logit = (q: number) => Math.log(q / (1 - q));
    two.pShared.forEach((q, i) => expect(logit(q)).toBeCloseTo((logit(two.members[0].cotrain.pShared[i]) + logit(two.members[1].cotrain.pShared[i])) / 2, 6));
    await two.model.save(p('m-bag'));
    const bagged = new Map((await (await loadModel(p('m-bag'))).classify(tgt.features, tgt.images)).map((r) => [r.vehicleId, r]));
    two.targetIds.forEach((id, i) => {
      expect(bagged.get(id)!.pShared).toBeCloseTo(two.pShared[i], 9);
      expect(bagged.get(id)!.shared).toBe(two.pShared[i] >= 0.5);
      expect(bagged.get(id)!.pCnn).toBeCloseTo((two.members[0].cotrain.pCnn[i] + two.members[1].cotrain.pCnn[i]) / 2, 9);
    });
    // without the source in M1 there is no scale, and the forest reads raw features
    const plain = await trainCoTrans(input, { ...small, members: 1, m1Source: false });
    expect(plain.model.manifest.m1Scale).toBeNull();
    for (const m of [one, two, plain]) m.model.dispose();
    // --cnn-fit-cap reaches the co-training: every CNN fit trained on 20 of its set's vehicles
    await run(train, [...trainArgs(p('m-cap')), '--members', '1', '--cnn-fit-cap', '20']);
    const capped = JSON.parse(readFileSync(path.join(resolveModelDir(p('m-cap')).path, 'manifest.json'), 'utf8'));
    expect(capped.config.cotrain.cnnFitCap).toBe(20);
    expect(capped.rounds.map((r: { cnnFitVehicles: number }) => r.cnnFitVehicles)).toEqual(capped.rounds.map(() => 20));
  }, 180_000);

  it('runs the experiment table in one go: its rows (and each run of the bag), JSON, ROC and confidence PNGs, scores per vehicle', async () => {
    const out = p('exp');
    const log = await run(experiment, ['--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv'), '--target', p('tgt', 'points.csv.gz'), '--truth', p('tgt', 'labels.csv'), '--out', out, '--folds', '2', '--epochs', '2']);
    expect(log).toMatch(/source-only RF/);
    const json = JSON.parse(readFileSync(path.join(out, 'experiment.json'), 'utf8'));
    expect(json.rows.map((r: { method: string }) => r.method)).toEqual([
      'source-only RF (stage 1)',
      'CNN on stage-1 seeds',
      'CNN on source images',
      'CNN on source images + MMD (DDC/DAN)',
      'CNN on source images + DANN',
      'CoTrans',
      'CoTrans, one run (train seed 0)',
      'CoTrans, one run (train seed 1)',
      'CoTrans, one run (train seed 2)',
      'supervised upper bound (2-fold CV, RF+CNN)',
    ]);
    for (const r of json.rows) expect(r.report.n).toBe(json.vehicles);
    expect(json.rounds[0].pseudoAccuracy.rfSet).toBeGreaterThan(0);
    for (const f of ['roc.png', 'confidence.png']) expect(readFileSync(path.join(out, f)).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(path.join(out, 'experiment.md'), 'utf8')).toMatch(/\| CoTrans \|/);
    // scores.csv: a line per vehicle with its truth and every method's score, the labels of the rows above
    const [head, ...lines] = readFileSync(path.join(out, 'scores.csv'), 'utf8').trimEnd().split('\n').map((l, i) => csvCells(l, 'scores.csv', i + 1)!);
    expect(head).toEqual(['vehicle_id', 'truth', 'stratum', ...json.rows.map((r: { method: string }) => r.method)]);
    expect(lines).toHaveLength(json.vehicles);
    const truth = new Map(readFileSync(p('tgt', 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).map((c) => [c[0], c[1]]));
    for (const c of lines) expect(c[1]).toBe(truth.get(c[0]));
    json.rows.forEach((r: { report: { confusion: { tp: number; fp: number } } }, k: number) => {
      const above = lines.filter((c) => Number(c[3 + k]) >= 0.5);
      expect(above.length).toBe(r.report.confusion.tp + r.report.confusion.fp);
      expect(above.filter((c) => c[1] === 'shared').length).toBe(r.report.confusion.tp);
    });
  }, 120_000);

  it('rejects labels naming unknown vehicles, a single-class source and an empty target (exit 1)', async () => {
    const text = readFileSync(p('src', 'labels.csv'), 'utf8');
    writeFileSync(p('unknown.csv'), text + 'NOPE-1,shared,full-time\n');
    await expect(run(train, trainArgs(p('m2'), p('unknown.csv')))).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/NOPE-1/) });
    writeFileSync(p('single.csv'), text.split('\n').map((l, i) => (i === 0 || !l ? l : l.replace(',shared,', ',private,'))).join('\n'));
    await expect(run(train, trainArgs(p('m2'), p('single.csv')))).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/single class/) });
    writeFileSync(p('tgt', 'empty.csv'), 'vehicle_id,timestamp,lat,lon\n');
    await expect(run(train, trainArgs(p('m2'), undefined, p('tgt', 'empty.csv')))).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/empty/) });
    // a target whose only vehicle has too few points to be used
    const t0 = Date.UTC(2026, 4, 4, 8);
    writeFileSync(p('tgt', 'tiny.csv'), 'vehicle_id,timestamp,lat,lon\n' + [0, 1, 2].map((k) => `T1,${t0 + k * 15000},31.2,121.4${k}\n`).join(''));
    await expect(run(train, trainArgs(p('m2'), undefined, p('tgt', 'tiny.csv')))).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/target: no usable vehicle/) });
    writeFileSync(p('badlabel.csv'), 'vehicle_id,label\nA1,taxi\n');
    await expect(run(evaluate, ['--pred', p('badlabel.csv'), '--truth', p('tgt', 'labels.csv')])).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/badlabel.csv:2/) });
  }, 120_000);
});
