// Stage 2, co-training (Blum & Mitchell): M1 = RF on the target's feature view, M2 = CNN on the
// image view, both started from the stage-1 seeds. Each round each model hands its most confident
// unlabeled vehicles (by class quota, above a confidence floor; exchange.ts) to the other's training
// set. Stops when nothing new qualifies or after maxRounds; the final labels are the cut of the
// combined log-odds (decision.ts).
import { deriveSeed, UserError } from '@cotrans/core';
import { RandomForestClassifier, type RandomForestOptions } from './rf/forest.js';
import { ImageModel, type ImageModelOptions, type VehicleImageSet } from './cnn/images.js';
import type { Seed } from './stage1.js';
import { shiftPrior } from './prior.js';
import { combine, decide, DEFAULT_DECISION, type Decision, type DecisionRule } from './decision.js';
import { agreementOf, classCount, oobBrier, pseudoAccuracy, type ClassCount } from './diagnostics.js';
import { exchangeFor, pick, roomIn } from './exchange.js';
import { stratifiedSample } from './fit-sample.js';

export interface CotrainOptions {
  maxRounds: number;
  /** Additions per model per round, as a fraction of the target, split by the class prior (0.05). */
  perRound: number;
  /** Confidence (max class probability) an addition needs (0.8), on the class-balanced posteriors. */
  floor: number;
  /**
   * A model's set holds at most this many times the shared vehicles the prior gives the target
   * (0.75; Infinity: no cap). Without a cap the sets drifted past the true count into the private
   * tail; at 1, a target with 4% shared, whose share stage 1 put at 4.9%, took 17 private cars into
   * its shared set and its F1 fell to 56 (0.75: 76; the seven development pairs: 93.6 -> 94.1).
   */
  sharedCap: number;
  /**
   * Class-balance rule of the additions: each class's share of the per-round quota is at least this,
   * however rare the prior says it is, so the minority's set grows fast enough to reach its harder
   * members (0 = split strictly by the prior).
   */
  minClassShare: number;
  /** Decision rule of the final labels, on the weighted mean of the two models' clipped log-odds (decision.ts). */
  decision: DecisionRule;
  /**
   * Guard of the 'otsu' and 'valley-emphasis' cuts (1.5): a cut may put at most this many times the
   * vehicles of stage 1's estimated share at or above it; beyond that the rule runs again on the
   * scores above its cut (decision.ts, `guardedCut`; Infinity: off). With the shift columns in their
   * own units, stage 1's share is close to the truth or above it (dev week 41-63% for 54%; simulated
   * 8%-shared targets 10.5-12.6% for 10.5%), so a cut that puts 1.5x of it above itself has fallen into the
   * private tail: on a 4%-shared simulated target Otsu put 72 vehicles above its cut for 24 shared
   * (F1 50.0), the second pass 26 (80.0; recomputed from that run's scores). At 3x (the guard before shift columns kept their units)
   * only a cut inside the private mode was caught, as on a 2%-shared target (429 of 1,993 above).
   */
  cutGuard: number;
  /**
   * Floor of the 'otsu' and 'valley-emphasis' cuts (0.75; 0: off): the cut puts at least this
   * share of stage 1's estimated number of shared vehicles at or above it; where fewer are, it moves
   * down the ranking until that many are (decision.ts, `flooredCut`).
   */
  cutFloor: number;
  /**
   * Ensemble weight of M1 (0.25), chosen on seven simulated source/target pairs (never on the target
   * being classified) and checked on four more: the forest, trained on pseudo-labels, puts heavy
   * private drivers higher than the CNN's best days do.
   */
  weightRf: number;
  /**
   * Vehicles one M2 fit trains on at most (2,000; Infinity: all). A larger set (its pseudo-labelled
   * vehicles plus the source's) is sampled afresh each round, each class keeping its share, and the
   * warm-started CNN sees a different sample each round. It bounds a round's cost whatever the fleet's
   * size: on a 10,000-car target the sets reach 4,400 vehicles and the CNN fits were 90% of training
   * (docs/experiments/2026-12-03-parallel-members-and-fit-cap.md). A set holds at most the seeds (20% of
   * the target) and 7 rounds of 5%, plus the source: 1,508 on the accuracy benchmark's 2,000-car
   * targets, so the cap never acts there or on the real weeks.
   */
  cnnFitCap: number;
  rf: RandomForestOptions;
  image: Partial<ImageModelOptions>;
}

export const DEFAULT_COTRAIN: CotrainOptions = {
  maxRounds: 8,
  perRound: 0.05,
  floor: 0.8,
  sharedCap: 0.75,
  minClassShare: 0.3,
  decision: DEFAULT_DECISION,
  cutGuard: 1.5,
  cutFloor: 0.75,
  weightRf: 0.25,
  cnnFitCap: 2000,
  rf: { nEstimators: 100, minSamplesLeaf: 2, classWeight: 'balanced', oobScore: true, seed: 0 },
  image: {},
};

/** Epochs of the warm-started CNN refits after the first round. */
const REFIT_EPOCHS = 6;

export type { ClassCount } from './diagnostics.js';

export interface RoundLog {
  round: number;
  /** Training-set sizes per class at the start of the round. */
  rfSet: ClassCount;
  cnnSet: ClassCount;
  /** Additions made at the end of the round. */
  addedToCnn: ClassCount;
  addedToRf: ClassCount;
  /** Share of the target on which M1 and M2 give the same label. */
  agreement: number;
  /** Cohen's kappa between M1's and M2's labels. */
  kappa: number;
  /** Target prior used this round. */
  prior: number;
  rfOob: number | null;
  cnnHeldOut: { n: number; brier: number; accuracy: number };
  /** Only with evaluation truth: accuracy of the pseudo-labels in each set and of this round's additions. */
  pseudoAccuracy?: { rfSet: number; cnnSet: number; addedToCnn: number | null; addedToRf: number | null };
  seconds: number;
  /** Vehicles M2's fit trained on this round: its set plus the source's, or a sample of them (`cnnFitCap`). */
  cnnFitVehicles: number;
  /** Where the round's time went, in seconds: each model's fit and its scoring of the whole target. */
  timings: { rfFit: number; rfPredict: number; cnnFit: number; cnnPredict: number };
}

export interface CotrainResult {
  m1: RandomForestClassifier;
  m2: ImageModel;
  weightRf: number;
  /** The prior the rounds used (stage 1's estimate). */
  prior: number;
  /** How the final P(shared) is made from the balanced posteriors (what classify repeats). */
  decision: Decision;
  /** Final P(shared) of M1, M2 and the ensemble, under `decision` (>= 1/2: shared). */
  pRf: number[];
  pCnn: number[];
  pShared: number[];
  /** Balanced (prior 1/2) P(shared) of M1 and M2 on the target, before the cut. */
  rawRf: number[];
  rawCnn: number[];
  /** Held-out Brier scores on pseudo-labels of the last round (RF out-of-bag, CNN held-out vehicles). */
  brier: { rf: number; cnn: number };
  rounds: RoundLog[];
  stopReason: 'nothing-qualifies' | 'max-rounds';
  /** The final training sets, target row -> shared?, of M1 and M2 (with the last round's additions). */
  sets: { rf: Map<number, boolean>; cnn: Map<number, boolean> };
}

/** Seconds since the previous call (or since it was made). */
function lapTimer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const s = (now - last) / 1000;
    last = now;
    return s;
  };
}

export function ensemble(pRf: readonly number[], pCnn: readonly number[], weightRf: number): number[] {
  return pRf.map((p, i) => weightRf * p + (1 - weightRf) * pCnn[i]);
}

export async function cotrain(
  data: {
    X: number[][];
    images: VehicleImageSet[];
    seeds: Seed[];
    prior: number;
    truth?: boolean[];
    /** Labelled rows (e.g. the source fleet, on the same scale as X) M1 trains on every round besides its set. */
    m1Extra?: { X: number[][]; shared: boolean[] };
    /** Labelled vehicles' images (e.g. the source fleet's) M2 trains on every round besides its set. */
    m2Extra?: { images: VehicleImageSet[]; shared: boolean[] };
  },
  options: Partial<CotrainOptions> = {},
  onRound?: (log: RoundLog) => void,
): Promise<CotrainResult> {
  const o = { ...DEFAULT_COTRAIN, ...options, rf: { ...DEFAULT_COTRAIN.rf, ...options.rf } };
  const n = data.X.length;
  if (data.images.length !== n) throw new RangeError(`feature view has ${n} vehicles, image view ${data.images.length}`);
  if (data.m1Extra && data.m1Extra.X.length !== data.m1Extra.shared.length) throw new RangeError(`m1Extra has ${data.m1Extra.X.length} rows but ${data.m1Extra.shared.length} labels`);
  if (data.m2Extra && data.m2Extra.images.length !== data.m2Extra.shared.length) throw new RangeError(`m2Extra has ${data.m2Extra.images.length} vehicles but ${data.m2Extra.shared.length} labels`);
  const rfSet = new Map<number, boolean>(data.seeds.map((s) => [s.index, s.shared]));
  const cnnSet = new Map(rfSet);
  const seedCount = classCount(rfSet);
  if (seedCount.shared === 0 || seedCount.private === 0) throw new UserError('stage 1 produced seeds of a single class; co-training needs both');
  // Both models train class-balanced (RF class weights, CNN loss weights): their posteriors assume a
  // prior of 1/2, and the exchanges pick on those: moved to a prior of a few percent, even a full-time
  // taxi's 0.98 falls under the floor, and the shared set never grows past the seeds (measured:
  // 12 -> 12). Stage 1's estimate of the target prior sets the quota split, the cap and the labels
  // the agreement is measured on.
  const prior = Math.min(0.95, Math.max(0.02, data.prior));
  const exchange = exchangeFor(o, n, prior);
  const m2 = new ImageModel({ seed: o.rf.seed ?? 0, ...o.image });
  const rounds: RoundLog[] = [];
  let m1!: RandomForestClassifier;
  let rawRf: number[] = [];
  let rawCnn: number[] = [];
  let rfBrier = NaN;
  let cnnBrier = NaN;
  let stopReason: CotrainResult['stopReason'] = 'max-rounds';
  for (let round = 1; round <= o.maxRounds; round++) {
    const t0 = performance.now();
    const lap = lapTimer();
    const rfRows = [...rfSet.keys()];
    const rfExtra = data.m1Extra ?? { X: [], shared: [] };
    // the extra rows follow the set's, so out-of-bag row r < rfRows.length is still set member rfRows[r]
    m1 = await new RandomForestClassifier(o.rf).fit(
      [...rfRows.map((i) => data.X[i]), ...rfExtra.X],
      [...rfRows.map((i) => (rfSet.get(i) ? 'shared' : 'private')), ...rfExtra.shared.map((v) => (v ? 'shared' : 'private'))],
    );
    const rfFit = lap();
    rawRf = m1.probaOf(data.X, 'shared');
    const rfPredict = lap();
    if (m1.oobDecisionFunction) rfBrier = oobBrier(m1, rfRows.length, (r) => rfSet.get(rfRows[r])!);
    const cnnRows = [...cnnSet.keys()];
    const cnnExtra = data.m2Extra ?? { images: [], shared: [] };
    const cnnImages = [...cnnRows.map((i) => data.images[i]), ...cnnExtra.images];
    const cnnLabels = [...cnnRows.map((i) => (cnnSet.get(i) ? 1 : 0)), ...cnnExtra.shared.map((v) => (v ? 1 : 0))];
    const fitRows = stratifiedSample(cnnLabels, o.cnnFitCap, deriveSeed(o.rf.seed ?? 0, round));
    const rep = await m2.fit(
      fitRows.map((r) => cnnImages[r]),
      fitRows.map((r) => cnnLabels[r]),
      round > 1 ? { maxEpochs: REFIT_EPOCHS } : {},
    );
    const cnnFit = lap();
    cnnBrier = rep.heldOut.brier;
    rawCnn = Array.from(await m2.predictProba(data.images));
    const cnnPredict = lap();
    const { agreement, kappa } = agreementOf(rawRf.map((p) => shiftPrior(p, prior)), rawCnn.map((p) => shiftPrior(p, prior)));
    const log: RoundLog = {
      round,
      rfSet: classCount(rfSet),
      cnnSet: classCount(cnnSet),
      addedToCnn: { shared: 0, private: 0 },
      addedToRf: { shared: 0, private: 0 },
      agreement,
      kappa,
      prior,
      rfOob: m1.oobScore,
      cnnHeldOut: rep.heldOut,
      seconds: 0,
      cnnFitVehicles: fitRows.length,
      timings: { rfFit, rfPredict, cnnFit, cnnPredict },
    };
    let stop: CotrainResult['stopReason'] | null = round >= o.maxRounds ? 'max-rounds' : null;
    let toRf = new Map<number, boolean>();
    let toCnn = new Map<number, boolean>();
    if (!stop) {
      toCnn = pick(rawRf, cnnSet, roomIn(cnnSet, exchange), o.floor); // M1 teaches M2
      toRf = pick(rawCnn, rfSet, roomIn(rfSet, exchange), o.floor); // M2 teaches M1
      if (toRf.size + toCnn.size === 0) stop = 'nothing-qualifies';
      for (const [i, v] of toCnn) cnnSet.set(i, v);
      for (const [i, v] of toRf) rfSet.set(i, v);
      log.addedToCnn = classCount(toCnn);
      log.addedToRf = classCount(toRf);
    }
    if (data.truth) {
      const before = (rows: number[], set: Map<number, boolean>) => new Map(rows.map((i) => [i, set.get(i)!]));
      log.pseudoAccuracy = {
        rfSet: pseudoAccuracy(before(rfRows, rfSet), data.truth)!,
        cnnSet: pseudoAccuracy(before(cnnRows, cnnSet), data.truth)!,
        addedToCnn: pseudoAccuracy(toCnn, data.truth),
        addedToRf: pseudoAccuracy(toRf, data.truth),
      };
    }
    log.seconds = (performance.now() - t0) / 1000;
    rounds.push(log);
    onRound?.(log);
    if (stop) {
      stopReason = stop;
      break;
    }
  }
  const decision: Decision = decide(o.decision, rawRf, rawCnn, o.weightRf, { maxAbove: o.cutGuard * prior * n, minAbove: o.cutFloor * prior * n }, o.rf.nEstimators ?? 100);
  const { pRf, pCnn, pShared } = combine(rawRf, rawCnn, o.weightRf, decision);
  return { m1, m2, weightRf: o.weightRf, prior, decision, pRf, pCnn, pShared, rawRf, rawCnn, brier: { rf: rfBrier, cnn: cnnBrier }, rounds, stopReason, sets: { rf: rfSet, cnn: cnnSet } };
}
