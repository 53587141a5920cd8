import { describe, expect, it } from 'vitest';
import { chooseSeeds, runStage1, cotrain, mulberry32, gaussian, fitRobustStandardisation, fitStandardisation } from '@cotrans/cotrans';
import type { VehicleImageSet } from '@cotrans/cotrans';

describe('stage 1 seeds', () => {
  it('keeps the minority class: quota from the prior, raised to minClassShare, capped by half the estimated positives', () => {
    // 100 vehicles, 10 confidently shared, 90 confidently private
    const p = Array.from({ length: 100 }, (_, i) => (i < 10 ? 0.95 - i * 0.001 : 0.05));
    const seeds = chooseSeeds(p, { fraction: 0.3, minClassShare: 0.3, floor: 0.6, minPerClass: 2, maxShareOfClass: 0.5 }, 0.1);
    const shared = seeds.filter((s) => s.shared);
    // 30 seeds * max(0.3, 0.1) = 9, but at most half of the 10 estimated shared -> 5
    expect(shared.length).toBe(5);
    expect(shared.every((s) => s.index < 10)).toBe(true);
    expect(seeds.filter((s) => !s.shared).length).toBe(27);
    expect(new Set(seeds.map((s) => s.index)).size).toBe(seeds.length);
  });

  it('rejects a single-class source, links a shifted target, and reports MMD before/after', async () => {
    const r = mulberry32(5);
    const make = (n: number, share: number, shift: number) => {
      const X: number[][] = [];
      const y: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const s = r() < share;
        X.push([gaussian(r) + (s ? 3 : 0), gaussian(r) * (1 + shift) + 2 * shift, gaussian(r)]);
        y.push(s);
      }
      return { X, shared: y };
    };
    const src = make(300, 0.4, 0);
    const tgt = make(300, 0.15, 1);
    await expect(runStage1({ X: src.X, shared: src.X.map(() => true) }, tgt)).rejects.toMatchObject({ exitCode: 1 });
    const res = await runStage1(src, { X: tgt.X }, { rf: { nEstimators: 30, nJobs: 1 } });
    expect(res.mmd[0].set).toBe('all');
    expect(res.mmd[0].after).toBeLessThan(res.mmd[0].before);
    // the shift is in a feature the classes do not differ on: without alignment the EM prior holds
    const plain = await runStage1(src, { X: tgt.X }, { alignment: 'none', prior: 'em', rf: { nEstimators: 30, nJobs: 1 } });
    expect(plain.mmd[0].after).toBe(plain.mmd[0].before);
    expect(Math.abs(plain.prior - 0.15)).toBeLessThan(0.08);
    const acc = res.seeds.filter((s) => s.shared === tgt.shared[s.index]).length / res.seeds.length;
    expect(acc).toBeGreaterThan(0.8);
  });

  it('anchored alignment puts both cities\' private cars on one scale, whatever the share of shared ones', async () => {
    // the target city is a little larger (features are location-invariant, so in like units: x1.15
    // + 0.2) and holds far fewer shared vehicles
    const r = mulberry32(11);
    const make = (n: number, share: number, scale: number, offset: number) => {
      const X: number[][] = [];
      const shared: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const s = r() < share;
        X.push([gaussian(r) + (s ? 2.5 : 0), gaussian(r) + (s ? 2 : 0), gaussian(r)].map((v) => v * scale + offset));
        shared.push(s);
      }
      return { X, shared };
    };
    const src = make(400, 0.4, 1, 0);
    const tgt = make(800, 0.08, 1.15, 0.2);
    const opts = { rf: { nEstimators: 40, nJobs: 1 }, seeds: { fraction: 0.2, minClassShare: 0.3, floor: 0.6, minPerClass: 5, maxShareOfClass: 0.5 } };
    const seedAcc = (res: Awaited<ReturnType<typeof runStage1>>) => res.seeds.filter((s) => s.shared && tgt.shared[s.index]).length / res.seeds.filter((s) => s.shared).length;
    const anchored = await runStage1(src, { X: tgt.X }, { ...opts, alignment: 'anchored' });
    const plain = await runStage1(src, { X: tgt.X }, { ...opts, alignment: 'standardise' });
    // standardising the target with its own mean moves it by its class mix: it looks more shared than it is
    expect(plain.prior).toBeGreaterThan(0.2);
    // a balanced forest's count at 1/2 over-counts where the classes overlap, but less than plain
    expect(Math.abs(anchored.prior - 0.08)).toBeLessThan(Math.abs(plain.prior - 0.08));
    // the anchor: the target cars a first forest on raw units calls private
    expect(anchored.anchorRows.length).toBeGreaterThan(0.8 * tgt.X.length);
    expect(anchored.anchorRows.filter((i) => !tgt.shared[i]).length / anchored.anchorRows.length).toBeGreaterThan(0.95);
    expect(seedAcc(anchored)).toBeGreaterThan(0.75);
    expect(seedAcc(anchored)).toBeGreaterThan(seedAcc(plain));
  });
});

describe('columns in their own units', () => {
  // one shift column (hours): the target's private cars drive 2.7 times as long as the source's,
  // the shared cars of both cities drive 3.5 h shifts; a second column is noise
  const fleet = (seed: number, n: number, shareShared: number, privMean: number, privSd: number) => {
    const r = mulberry32(seed);
    const shared = Array.from({ length: n }, (_, i) => i < shareShared * n);
    const X = shared.map((s) => [s ? 3.5 + 0.4 * gaussian(r) : Math.max(0.05, privMean + privSd * gaussian(r)), gaussian(r)]);
    return { X, shared };
  };
  const src = fleet(1, 400, 0.3, 0.6, 0.15);
  const tgt = fleet(2, 400, 0.3, 1.6, 0.45);
  const recall = (p: number[]) => p.filter((v, i) => tgt.shared[i] && v >= 0.5).length / tgt.shared.filter(Boolean).length;

  it("keeps a shift's hours: the target's shared cars are found although its private cars drive longer", async () => {
    const opts = { rf: { nEstimators: 30, nJobs: 1, seed: 0 } };
    const scaled = await runStage1(src, { X: tgt.X }, opts);
    const units = await runStage1(src, { X: tgt.X }, { ...opts, unitColumns: [0] });
    expect(units.source.mean[0]).toBe(0);
    expect(units.target.std[0]).toBe(1);
    expect(units.target.std[1]).not.toBe(1);
    expect(recall(units.pBalanced)).toBeGreaterThan(0.9);
    expect(recall(scaled.pBalanced)).toBeLessThan(0.5);
  });
});

describe('robust standardisation', () => {
  it('takes the median and MAD scale of the majority, unmoved by a fifth of outliers', () => {
    const r = mulberry32(3);
    const X = Array.from({ length: 2000 }, (_, i) => [i % 5 === 0 ? 40 + gaussian(r) : 10 + 2 * gaussian(r), 7]);
    const s = fitRobustStandardisation(X);
    // a fifth of the rows at 40 pulls the median of N(10, 2) up to its 62.5th percentile (10.64)
    expect(s.mean[0]).toBeCloseTo(10.64, 0);
    // the MAD widens with the contamination too: 1.4826 x 1.87 = 2.78 expected, against an SD of 2
    expect(s.std[0]).toBeGreaterThan(2.4);
    expect(s.std[0]).toBeLessThan(3.2);
    const plain = fitStandardisation(X);
    expect(plain.std[0]).toBeGreaterThan(10);
    // a constant column keeps scale 1 (no division by 0)
    expect(s).toMatchObject({ mean: [expect.any(Number), 7], std: [expect.any(Number), 1] });
  });
});

describe('co-training', () => {
  it('exchanges confident labels between the views, logs every round, and beats its seeds', async () => {
    const r = mulberry32(9);
    const n = 160;
    const truth: boolean[] = [];
    const X: number[][] = [];
    const images: VehicleImageSet[] = [];
    for (let i = 0; i < n; i++) {
      const s = i % 4 === 0;
      truth.push(s);
      X.push([gaussian(r) + (s ? 2.5 : 0), gaussian(r), gaussian(r)]);
      const img = new Float32Array(64);
      // shared vehicles: a wide spread of cells; private: two bright cells
      for (let k = 0; k < 64; k++) img[k] = s ? (r() < 0.5 ? r() : 0) : k === 9 || k === 54 ? 1 : r() < 0.05 ? r() * 0.3 : 0;
      images.push({ vehicleId: `V${i}`, size: 8, dayKeys: ['2026-05-04'], days: [img], aggregate: img });
    }
    const seeds = [0, 4, 8, 12, 16, 1, 2, 3, 5, 6, 7, 9].map((index) => ({ index, shared: truth[index], confidence: 0.9 }));
    const rounds: unknown[] = [];
    const res = await cotrain(
      { X, images, seeds, prior: 0.25, truth },
      { maxRounds: 4, perRound: 0.1, floor: 0.7, rf: { nEstimators: 30, nJobs: 1 }, image: { mode: 'day', cnn: { maxEpochs: 8, convs: [{ filters: 4, kernel: 3, pool: 2, poolType: 'max', padding: 'same' }], dense: 8, batchSize: 16, learningRate: 0.01 } } },
      (l) => rounds.push(l),
    );
    expect(rounds.length).toBe(res.rounds.length);
    const first = res.rounds[0];
    expect(first.rfSet).toEqual({ shared: 5, private: 7 });
    expect(first.addedToCnn.shared + first.addedToCnn.private + first.addedToRf.shared + first.addedToRf.private).toBeGreaterThan(0);
    expect(first.pseudoAccuracy!.rfSet).toBe(1);
    expect(res.weightRf).toBe(0.25);
    const acc = res.pShared.filter((p, i) => p >= 0.5 === truth[i]).length / n;
    expect(acc).toBeGreaterThan(0.9);
    expect(res.decision).toMatchObject({ combine: 'logit', rule: 'otsu' });
    // the final sets: the last round's sets plus its additions
    const last = res.rounds[res.rounds.length - 1];
    expect(res.sets.rf.size).toBe(last.rfSet.shared + last.rfSet.private + last.addedToRf.shared + last.addedToRf.private);
    expect([...res.sets.cnn.values()].filter(Boolean).length).toBe(last.cnnSet.shared + last.addedToCnn.shared);

    // the drift guard: with a prior of 10%, no set ever holds more than 3/4 x 16 = 12 shared vehicles
    const capped = await cotrain(
      { X, images, seeds, prior: 0.1 },
      { maxRounds: 4, perRound: 0.2, floor: 0.6, rf: { nEstimators: 30, nJobs: 1 }, image: { mode: 'day', cnn: { maxEpochs: 4, convs: [{ filters: 4, kernel: 3, pool: 2, poolType: 'max', padding: 'same' }], dense: 8, batchSize: 16, learningRate: 0.01 } } },
    );
    const sizes = capped.rounds.flatMap((l) => [l.rfSet.shared + l.addedToRf.shared, l.cnnSet.shared + l.addedToCnn.shared]);
    expect(Math.max(...sizes)).toBe(12);
  });

  it('fits M2 on a sample of its set once the set outgrows cnnFitCap, and on the whole set below it', async () => {
    const r = mulberry32(5);
    const n = 80;
    const X = Array.from({ length: n }, (_, i) => [gaussian(r) + (i % 4 === 0 ? 3 : 0), gaussian(r)]);
    const images: VehicleImageSet[] = X.map((_, i) => {
      const img = new Float32Array(64);
      img[i % 4 === 0 ? 9 : 54] = 1;
      return { vehicleId: `V${i}`, size: 8, dayKeys: ['2026-05-04'], days: [img], aggregate: img };
    });
    const seeds = Array.from({ length: 40 }, (_, index) => ({ index, shared: index % 4 === 0, confidence: 0.9 }));
    const extra = { images: images.slice(0, 10), shared: images.slice(0, 10).map((_, i) => i % 4 === 0) };
    const opts = { maxRounds: 2, perRound: 0.1, floor: 0.6, rf: { nEstimators: 20, nJobs: 1 }, image: { mode: 'day' as const, cnn: { maxEpochs: 2, convs: [{ filters: 2, kernel: 3, pool: 2, poolType: 'max' as const, padding: 'same' as const }], dense: 4 } } };
    const whole = await cotrain({ X, images, seeds, prior: 0.25, m2Extra: extra }, opts);
    const setSize = (l: (typeof whole.rounds)[number]) => l.cnnSet.shared + l.cnnSet.private + extra.images.length;
    for (const l of whole.rounds) expect(l.cnnFitVehicles).toBe(setSize(l));
    const capped = await cotrain({ X, images, seeds, prior: 0.25, m2Extra: extra }, { ...opts, cnnFitCap: 30 });
    expect(capped.rounds.map((l) => l.cnnFitVehicles)).toEqual(capped.rounds.map(() => 30));
    // what a round spent, by model
    for (const l of capped.rounds) expect(l.timings.cnnFit).toBeGreaterThan(0);
  });

  it('lets M1 learn from labelled extra rows (the source) what its seeds lack', async () => {
    // two kinds of shared vehicles: kind A (feature 0 high) among the seeds, kind B (feature 1 high) not;
    // the extra rows label both kinds. One round: M1 is fitted on its seeds (+ extra rows) only.
    const r = mulberry32(21);
    const n = 120;
    const kind = (i: number) => (i % 6 === 0 ? 'A' : i % 6 === 1 ? 'B' : 'private');
    const row = (k: string) => [gaussian(r) + (k === 'A' ? 4 : 0), gaussian(r) + (k === 'B' ? 4 : 0), gaussian(r)];
    const X = Array.from({ length: n }, (_, i) => row(kind(i)));
    const img = new Float32Array(64);
    const images: VehicleImageSet[] = X.map((_, i) => ({ vehicleId: `V${i}`, size: 8, dayKeys: ['2026-05-04'], days: [img], aggregate: img }));
    const seeds = Array.from({ length: n }, (_, i) => i)
      .filter((i) => kind(i) !== 'B')
      .slice(0, 60)
      .map((index) => ({ index, shared: kind(index) === 'A', confidence: 0.9 }));
    const extraKinds = Array.from({ length: 90 }, (_, i) => (i % 3 === 0 ? 'A' : i % 3 === 1 ? 'B' : 'private'));
    const m1Extra = { X: extraKinds.map(row), shared: extraKinds.map((k) => k !== 'private') };
    const opts = { maxRounds: 1, rf: { nEstimators: 40, nJobs: 1 }, image: { mode: 'day' as const, cnn: { maxEpochs: 1, convs: [{ filters: 2, kernel: 3, pool: 2, poolType: 'max' as const, padding: 'same' as const }], dense: 4 } } };
    const kindB = X.map((_, i) => i).filter((i) => kind(i) === 'B');
    const meanB = (p: number[]) => kindB.reduce((a, i) => a + p[i], 0) / kindB.length;
    const alone = await cotrain({ X, images, seeds, prior: 0.3 }, opts);
    const withExtra = await cotrain({ X, images, seeds, prior: 0.3, m1Extra }, opts);
    expect(meanB(alone.rawRf)).toBeLessThan(0.3);
    expect(meanB(withExtra.rawRf)).toBeGreaterThan(0.7);
    // the set is still only the seeds: the extra rows are not target vehicles
    expect(withExtra.rounds[0].rfSet).toEqual(alone.rounds[0].rfSet);
    await expect(cotrain({ X, images, seeds, prior: 0.3, m1Extra: { X: m1Extra.X, shared: [true] } }, opts)).rejects.toThrow(/m1Extra has 90 rows but 1 labels/);
  });
});
