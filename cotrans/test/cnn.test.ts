import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cnn, ImageModel, initTf, mulberry32, topDaysScore, type VehicleImageSet } from '@cotrans/cotrans';
import { makeConv2dValid, pool } from '../src/cnn/layers.js';

const rand = mulberry32(11);
const arr = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** A task a tiny CNN must learn: a bright 4x4 square in the top-left (1) or bottom-right (0) quadrant, plus noise. */
function squares(n: number, size: number, seed: number) {
  const r = mulberry32(seed);
  const images = new Float32Array(n * size * size);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    labels.push(c);
    const base = i * size * size;
    for (let p = 0; p < size * size; p++) images[base + p] = r() < 0.08 ? r() : 0;
    const q = size / 2;
    const oy = Math.floor(r() * (q - 4)) + (c ? 0 : q);
    const ox = Math.floor(r() * (q - 4)) + (c ? 0 : q);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) images[base + (oy + y) * size + ox + x] = 1;
  }
  return { images, labels };
}

describe('CNN gradients', () => {
  it('our conv2d filter/input gradients match the cpu backend\'s stock kernels and numerical derivatives', async () => {
    const { tf } = await initTf('cpu');
    const x = tf.tensor4d(arr(2 * 7 * 7 * 3), [2, 7, 7, 3]);
    const w = tf.tensor4d(arr(3 * 3 * 3 * 4), [3, 3, 3, 4]);
    const r = tf.tensor4d(arr(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    const conv = makeConv2dValid(tf);
    const ours = tf.grads((a, b) => tf.sum(tf.mul(conv(a as never, b as never), r)))([x, w]);
    const stock = tf.grads((a, b) => tf.sum(tf.mul(tf.conv2d(a as never, b as never, 1, 'valid'), r)))([x, w]);
    expect(maxAbsDiff(ours[0].dataSync(), stock[0].dataSync())).toBeLessThan(1e-4);
    expect(maxAbsDiff(ours[1].dataSync(), stock[1].dataSync())).toBeLessThan(1e-4);
    // central differences on a few filter entries
    const wv = Float32Array.from(w.dataSync());
    const f = (vals: Float32Array) => tf.sum(tf.mul(tf.conv2d(x, tf.tensor4d(vals, [3, 3, 3, 4]), 1, 'valid'), r)).dataSync()[0];
    const gw = ours[1].dataSync();
    for (const i of [0, 17, 50, 107]) {
      const eps = 1e-2;
      const up = wv.slice(); up[i] += eps;
      const dn = wv.slice(); dn[i] -= eps;
      expect(Math.abs((f(up as Float32Array) - f(dn as Float32Array)) / (2 * eps) - gw[i])).toBeLessThan(2e-2);
    }
  });

  it('the whole net has the same gradients on wasm (registered path) as on cpu, and pooling by kernel = by reshape', async () => {
    const { images, labels } = squares(8, 16, 3);
    const cfg = { inputSize: 16, seed: 5, dropout: 0 };
    const onCpu = await Cnn.create(cfg, 'cpu');
    const gCpu = onCpu.gradients(images, labels);
    const weights = onCpu.getWeights();
    onCpu.dispose();
    const onWasm = await Cnn.create(cfg, 'wasm');
    expect(onWasm.backend).toBe('wasm');
    onWasm.setWeights(weights);
    const gWasm = onWasm.gradients(images, labels);
    onWasm.dispose();
    expect(gWasm.length).toBe(gCpu.length);
    gCpu.forEach((g, i) => {
      const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
      expect(maxAbsDiff(g, gWasm[i]) / scale).toBeLessThan(1e-3);
    });
    const { tf } = await initTf('wasm');
    // after a ReLU, as in the net (wasm's MaxPoolGrad mis-routes gradients of all-negative windows)
    const x = tf.tensor4d(arr(2 * 7 * 7 * 2), [2, 7, 7, 2]);
    for (const kind of ['max', 'avg'] as const) {
      for (const size of [6, 7]) {
        const xs = tf.tensor4d(arr(2 * size * size * 2), [2, size, size, 2]);
        const a = tf.grad((t) => tf.sum(tf.square(pool(tf, tf.relu(t) as never, 2, kind, 'kernel'))))(xs);
        const b = tf.grad((t) => tf.sum(tf.square(pool(tf, tf.relu(t) as never, 2, kind, 'reshape'))))(xs);
        const c = tf.grad((t) => tf.sum(tf.square(pool(tf, tf.relu(t) as never, 2, kind, 'custom'))))(xs);
        expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-5);
        expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeLessThan(1e-5);
      }
    }
    void x;
  });
});

describe('Cnn training', () => {
  it('learns a spatial task, is seeded, stops early, and saves/loads exactly', async () => {
    const train = squares(400, 16, 1);
    const test = squares(200, 16, 2);
    const cfg = { inputSize: 16, seed: 7, maxEpochs: 12, patience: 2, batchSize: 32, learningRate: 0.01 };
    const a = await Cnn.create(cfg);
    const logs: number[] = [];
    const fit = await a.fit(train.images, train.labels, { onEpoch: (l) => logs.push(l.valLoss!) });
    expect(logs.length).toBe(fit.epochs.length);
    expect(fit.bestEpoch).toBeGreaterThan(0);
    const p = await a.predictProba(test.images);
    const acc = test.labels.filter((l, i) => (p[i] > 0.5 ? 1 : 0) === l).length / test.labels.length;
    expect(acc).toBeGreaterThan(0.9);

    const b = await Cnn.create(cfg);
    await b.fit(train.images, train.labels);
    expect(maxAbsDiff(await b.predictProba(test.images), p)).toBeLessThan(1e-6);

    const dir = mkdtempSync(path.join(tmpdir(), 'cnn-'));
    try {
      await a.save(dir);
      const c = await Cnn.load(dir);
      expect(Array.from(await c.predictProba(test.images))).toEqual(Array.from(p));
      c.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    a.dispose();
    b.dispose();
  });
});

describe('image model: a vehicle from its days', () => {
  it('top-days score: the mean log-odds of the k best days (clipped), all days when fewer', () => {
    const lo = (p: number) => Math.log(p / (1 - p));
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    expect(topDaysScore(Float32Array.from([0.1, 0.9, 0.99, 0.2]), 2)).toBeCloseTo(sig((lo(0.99) + lo(0.9)) / 2), 6);
    expect(topDaysScore(Float32Array.from([0.3]), 2)).toBeCloseTo(0.3, 6);
    // a 0 or 1 day is clipped at 1e-5, not infinite evidence
    expect(topDaysScore(Float32Array.from([1, 0]), 2)).toBeCloseTo(0.5, 6);
  });

  it("'top' finds the vehicle with two taxi days among five private ones, which the mean of its days misses", async () => {
    const size = 16;
    let next = 0;
    // one day image of class c: squares() makes pairs labelled 0, 1 (1: a taxi day, 0: a private day)
    const dayOf = (c: number) => squares(2, size, 5000 + next++).images.slice(c * size * size, (c + 1) * size * size);
    const vehicle = (id: string, classes: number[]): VehicleImageSet => ({ vehicleId: id, size, dayKeys: classes.map((_, d) => `2026-05-0${d + 1}`), days: classes.map(dayOf), aggregate: new Float32Array(size * size) });
    const train: VehicleImageSet[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 60; i++) {
      train.push(vehicle(`s${i}`, Array(7).fill(1)));
      labels.push(1);
      train.push(vehicle(`p${i}`, Array(7).fill(0)));
      labels.push(0);
    }
    const m = new ImageModel({ mode: 'day', dayScore: 'top', topDays: 2, seed: 3, cnn: { inputSize: size, maxEpochs: 10, patience: 2, batchSize: 32, learningRate: 0.01 } });
    await m.fit(train, labels);
    const partTime = vehicle('part-time', [0, 1, 0, 0, 1, 0, 0]);
    const private_ = vehicle('private', Array(7).fill(0));
    const [pPart, pPriv] = await m.predictProba([partTime, private_]);
    const days = await m.day!.predictProba(Float32Array.from(partTime.days.flatMap((d) => Array.from(d))));
    const meanOfDays = days.reduce((a, b) => a + b, 0) / days.length;
    expect(pPart).toBeCloseTo(topDaysScore(days, 2), 6);
    expect(pPart).toBeGreaterThan(0.5);
    expect(meanOfDays).toBeLessThan(0.5);
    expect(pPriv).toBeLessThan(0.5);
    // the option travels with the saved model
    const dir = mkdtempSync(path.join(tmpdir(), 'cotrans-image-'));
    try {
      await m.save(dir);
      const back = await ImageModel.load(dir);
      expect(back.options.dayScore).toBe('top');
      expect(Array.from(await back.predictProba([partTime]))[0]).toBeCloseTo(pPart, 6);
      back.dispose();
      // a model saved before the option existed keeps the mean over days it was trained with
      const metaFile = path.join(dir, 'image-model.json');
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      delete meta.options.dayScore;
      writeFileSync(metaFile, JSON.stringify(meta));
      const old = await ImageModel.load(dir);
      expect(old.options.dayScore).toBe('mean');
      expect(Array.from(await old.predictProba([partTime]))[0]).toBeCloseTo(meanOfDays, 6);
      old.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    m.dispose();
  });
});
