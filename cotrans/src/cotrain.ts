// Stage 2, co-training (Blum & Mitchell): M1 = RF on the full target feature view, M2 = CNN on the
// image view, both started from the stage-1 seeds. Each round each model hands its most confident
// unlabeled vehicles (p shared + n private, above a confidence floor) to the other's training set.
// Stops when nothing new qualifies, when the models agree, or after maxRounds.
import { RandomForestClassifier, type RandomForestOptions } from './rf/forest.js';
import { ImageModel, type ImageModelOptions, type VehicleImageSet } from './cnn/images.js';
import type { Seed } from './stage1.js';
import { estimatePrior, mixturePrior, shiftPrior } from './prior.js';
import { combine, combinedLogit, guardedCut, valleyOrPriorCut, type Decision } from './decision.js';

export interface CotrainOptions {
  maxRounds: number;
  /** Additions per model per round, as a fraction of the target, split by the class prior (0.05). */
  perRound: number;
  /** Confidence (max class probability) an addition needs (0.8), on the class-balanced posteriors. */
  floor: number;
  /** Pick additions on posteriors moved to the prior instead of the balanced ones (false). */
  pickOnPrior: boolean;
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
  /**
   * Stop once M1 and M2 agree with Cohen's kappa at least this; null (default): no agreement stop.
   * Their labels agree early on the clearest vehicles: at 0.9 the sets stopped after 2-4 rounds with
   * 15-45 shared vehicles, and at 0.99 after 2 rounds with 15-epoch CNNs, before reaching the harder
   * ones (README).
   */
  agreementStop: number | null;
  /**
   * Decision rule of the final labels, on the weighted mean of the two models' clipped log-odds.
   * 'otsu' (default): Otsu's threshold of that score over the target (the cut of greatest
   * between-group variance; decision.ts). With M2 scoring vehicles by their best days, the target's
   * scores are bimodal: private cars low, shared ones piled near the clip, few in between.
   * 'valley-emphasis': each candidate cut of Otsu's weighed by 1 - the share of the target within
   * `emphasisWindow` of it, so the cut moves to where scores are sparse; it rescued a 4%-shared target
   * whose Otsu cut fell into the private tail (F1 75.8 -> 83.8) before M1 learned from the source,
   * and changed nothing on average after (README).
   * 'valley': the first density valley above the private mode, never above log-odds 0, else the
   * rank of stage 1's estimated share (the default before M2 scored best days, README);
   * 'balanced': the same combination cut at 0.
   * The probability rules average posteriors moved to a prior: 'em' (EM re-estimated on the final
   * ensemble), 'mixture' (weight of the upper component of a two-Gaussian mixture on its logits),
   * 'stage1' (stage 1's estimate). Those assume calibrated posteriors, which models trained on their
   * own most confident pseudo-labels are not (README, Figures).
   */
  decision: 'otsu' | 'valley-emphasis' | 'valley' | 'balanced' | 'em' | 'mixture' | 'stage1';
  /** Half-width, in log-odds, of the neighbourhood whose share of the target weighs a cut of the 'valley-emphasis' rule (0.5). */
  emphasisWindow: number;
  /**
   * Guard of the 'otsu' and 'valley-emphasis' cuts (3): a cut may put at most this many times the
   * vehicles of stage 1's estimated share at or above it; beyond that the rule runs again on the
   * scores above its cut (decision.ts, `guardedCut`; Infinity: off). Stage 1 put the share at half
   * the truth on 12% and 16% shared targets and at most 1.6x over it on 2-3% ones, so 3x means the cut
   * fell inside the private mode: on a 2%-shared target Otsu put 429 of 1,993 vehicles above its cut
   * (F1 17.1); the second pass, 35 (82.7). No pair of the 12-pair table reaches 1.6x (README).
   */
  cutGuard: number;
  /**
   * Kernel bandwidth of the valley search, in log-odds, for a target of 2,000 vehicles (0.75); scaled
   * by (n / 2000)^(-1/5), the rate of Silverman's rule, so a small target gets a smoother density
   * (400 vehicles: 1.04; at 0.75 the demo's valley fell inside the private tail).
   */
  valleyBandwidth: number;

  /** Re-estimate the target prior each round by EM on the in-domain models (false: measured to collapse towards 0 when the seeds hold few shared vehicles). */
  reestimatePrior: boolean;
  /** Epochs for the warm-started CNN refits after the first round. */
  refitEpochs: number;
  /**
   * Ensemble weight of M1: a fixed value (0.25 by default), or 'auto' (inverse held-out Brier scores
   * on pseudo-labels: RF out-of-bag, CNN held-out vehicles). The fixed weight was chosen on seven
   * simulated source/target pairs (never on the target being classified) and checked on four more:
   * the forest, trained on pseudo-labels, puts heavy private drivers higher than the CNN's best
   * days do (README). The pseudo-labels are the models' own confident picks, so both Brier scores
   * come out near 0 (0.001-0.005 measured) and 'auto' is noise around 0.5, up to its 0.8 clip.
   */
  weightRf: 'auto' | number;
  rf: RandomForestOptions;
  image: Partial<ImageModelOptions>;
}

export const DEFAULT_COTRAIN: CotrainOptions = {
  maxRounds: 8,
  perRound: 0.05,
  floor: 0.8,
  pickOnPrior: false,
  sharedCap: 0.75,
  minClassShare: 0.3,
  agreementStop: null,
  reestimatePrior: false,
  decision: 'otsu',
  emphasisWindow: 0.5,
  cutGuard: 3,
  valleyBandwidth: 0.75,
  refitEpochs: 6,
  weightRf: 0.25,
  rf: { nEstimators: 100, minSamplesLeaf: 2, classWeight: 'balanced', oobScore: true, seed: 0 },
  image: {},
};

export interface ClassCount {
  shared: number;
  private: number;
}

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
}

export interface CotrainResult {
  m1: RandomForestClassifier;
  m2: ImageModel;
  weightRf: number;
  /** The prior the rounds used (stage 1's estimate), or the one the probability rules moved the posteriors to. */
  prior: number;
  /** How the final P(shared) is made from the balanced posteriors (what classify repeats). */
  decision: Decision;
  /** Final P(shared) of M1, M2 and the ensemble, under `decision` (>= 1/2: shared). */
  pRf: number[];
  pCnn: number[];
  pShared: number[];
  /** Balanced (prior 1/2) P(shared) of M1 and M2 on the target, before any prior shift. */
  rawRf: number[];
  rawCnn: number[];
  /** Held-out Brier scores on pseudo-labels of the last round (RF out-of-bag, CNN held-out vehicles). */
  brier: { rf: number; cnn: number };
  rounds: RoundLog[];
  stopReason: 'nothing-qualifies' | 'agreement' | 'max-rounds';
  /** The final training sets, target row -> shared?, of M1 and M2 (with the last round's additions). */
  sets: { rf: Map<number, boolean>; cnn: Map<number, boolean> };
}

const count = (m: Map<number, boolean>): ClassCount => {
  let s = 0;
  for (const v of m.values()) if (v) s++;
  return { shared: s, private: m.size - s };
};

export function ensemble(pRf: readonly number[], pCnn: readonly number[], weightRf: number): number[] {
  return pRf.map((p, i) => weightRf * p + (1 - weightRf) * pCnn[i]);
}

/** Most confident rows per class not yet in `taken`, above the floor. */
function pick(p: readonly number[], taken: Map<number, boolean>, quota: ClassCount, floor: number): Map<number, boolean> {
  const out = new Map<number, boolean>();
  for (const cls of [true, false]) {
    const want = cls ? quota.shared : quota.private;
    const cand = p
      .map((v, i) => ({ i, c: cls ? v : 1 - v }))
      .filter((e) => !taken.has(e.i) && e.c >= floor && e.c > 0.5)
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .slice(0, want);
    for (const e of cand) out.set(e.i, cls);
  }
  return out;
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
  const L1 = new Map<number, boolean>(data.seeds.map((s) => [s.index, s.shared]));
  const L2 = new Map(L1);
  const nShared = [...L1.values()].filter(Boolean).length;
  if (nShared === 0 || nShared === L1.size) throw Object.assign(new Error('stage 1 produced seeds of a single class; co-training needs both'), { exitCode: 1 });
  // Both models train class-balanced (RF class weights, CNN loss weights): their posteriors assume a
  // prior of 1/2. The exchanges pick on those (or, with `pickOnPrior`, on posteriors moved to stage
  // 1's estimate of the target prior, which also sets the agreement labels and the shared cap; EM
  // re-estimates it each round with `reestimatePrior`). The final decision is `decision`'s.
  let prior = Math.min(0.95, Math.max(0.02, data.prior));
  const adj = (p: number) => shiftPrior(p, prior, 0.5);
  const share = Math.min(1 - o.minClassShare, Math.max(o.minClassShare, prior));
  const quota: ClassCount = { shared: Math.max(1, Math.round(o.perRound * n * share)), private: Math.max(1, Math.round(o.perRound * n * (1 - share))) };
  const sharedCap = Number.isFinite(o.sharedCap) ? Math.round(o.sharedCap * prior * n) : Infinity;
  const m2 = new ImageModel({ seed: o.rf.seed ?? 0, ...o.image });
  const rounds: RoundLog[] = [];
  let m1!: RandomForestClassifier;
  let lastRawRf: number[] = [];
  let lastRawCnn: number[] = [];
  let rfBrier = NaN;
  let cnnBrier = NaN;
  let stopReason: CotrainResult['stopReason'] = 'max-rounds';
  const truthAcc = (m: Map<number, boolean>) => {
    if (!data.truth || m.size === 0) return null;
    let h = 0;
    for (const [i, v] of m) if (data.truth[i] === v) h++;
    return h / m.size;
  };
  for (let round = 1; round <= o.maxRounds; round++) {
    const t0 = performance.now();
    const i1 = [...L1.keys()];
    const ex = data.m1Extra ?? { X: [], shared: [] };
    // the extra rows follow the set's, so out-of-bag row r < i1.length is still set member i1[r]
    m1 = await new RandomForestClassifier(o.rf).fit(
      [...i1.map((i) => data.X[i]), ...ex.X],
      [...i1.map((i) => (L1.get(i) ? 'shared' : 'private')), ...ex.shared.map((v) => (v ? 'shared' : 'private'))],
    );
    const rawRf = m1.probaOf(data.X, 'shared');
    const oob = m1.oobDecisionFunction;
    if (oob) {
      const k = m1.classes.indexOf('shared');
      let s = 0;
      let c = 0;
      i1.forEach((i, r) => {
        if (Number.isNaN(oob[r][k])) return;
        s += (oob[r][k] - (L1.get(i) ? 1 : 0)) ** 2;
        c++;
      });
      rfBrier = c ? s / c : NaN;
    }
    const i2 = [...L2.keys()];
    const ex2 = data.m2Extra ?? { images: [], shared: [] };
    const rep = await m2.fit([...i2.map((i) => data.images[i]), ...ex2.images], [...i2.map((i) => (L2.get(i) ? 1 : 0)), ...ex2.shared.map((v) => (v ? 1 : 0))], round > 1 ? { maxEpochs: o.refitEpochs } : {});
    cnnBrier = rep.heldOut.brier;
    const rawCnn = Array.from(await m2.predict(data.images));
    if (o.reestimatePrior) prior = Math.min(0.95, Math.max(0.02, estimatePrior(rawRf.map((p, i) => (p + rawCnn[i]) / 2), 0.5)));
    lastRawRf = rawRf;
    lastRawCnn = rawCnn;
    const pRf = rawRf.map(adj);
    const pCnn = rawCnn.map(adj);
    let a11 = 0;
    let a1 = 0;
    let a2 = 0;
    for (let i = 0; i < n; i++) {
      const u = pRf[i] >= 0.5;
      const v = pCnn[i] >= 0.5;
      if (u) a1++;
      if (v) a2++;
      if (u && v) a11++;
    }
    let agree = 0;
    for (let i = 0; i < n; i++) if (pRf[i] >= 0.5 === pCnn[i] >= 0.5) agree++;
    const agreement = agree / n;
    // Cohen's kappa: agreement beyond chance (raw agreement is trivially high with a rare class)
    const pe = (a1 / n) * (a2 / n) + (1 - a1 / n) * (1 - a2 / n);
    const kappa = pe < 1 ? (agreement - pe) / (1 - pe) : 1;
    void a11;
    const log: RoundLog = {
      round,
      rfSet: count(L1),
      cnnSet: count(L2),
      addedToCnn: { shared: 0, private: 0 },
      addedToRf: { shared: 0, private: 0 },
      agreement,
      kappa,
      prior,
      rfOob: m1.oobScore,
      cnnHeldOut: rep.heldOut,
      seconds: 0,
    };
    let stop: CotrainResult['stopReason'] | null = null;
    if (o.agreementStop !== null && kappa >= o.agreementStop) stop = 'agreement';
    else if (round >= o.maxRounds) stop = 'max-rounds';
    let add1: Map<number, boolean> = new Map();
    let add2: Map<number, boolean> = new Map();
    if (!stop) {
      // on the balanced posteriors: moved to a prior of a few percent, even a full-time taxi's 0.98
      // falls under the floor, and the shared set never grows past the seeds (measured: 12 -> 12)
      const src1 = o.pickOnPrior ? pRf : rawRf;
      const src2 = o.pickOnPrior ? pCnn : rawCnn;
      // a set never holds more shared vehicles than the prior says the target has (drift guard)
      const cap = (L: Map<number, boolean>): ClassCount => ({ shared: Math.max(0, Math.min(quota.shared, sharedCap - count(L).shared)), private: quota.private });
      add2 = pick(src1, L2, cap(L2), o.floor); // M1 teaches M2
      add1 = pick(src2, L1, cap(L1), o.floor); // M2 teaches M1
      if (add1.size + add2.size === 0) stop = 'nothing-qualifies';
      for (const [i, v] of add2) L2.set(i, v);
      for (const [i, v] of add1) L1.set(i, v);
      log.addedToCnn = count(add2);
      log.addedToRf = count(add1);
    }
    if (data.truth) log.pseudoAccuracy = { rfSet: truthAcc(new Map(i1.map((i) => [i, L1.get(i)!])))!, cnnSet: truthAcc(new Map(i2.map((i) => [i, L2.get(i)!])))!, addedToCnn: truthAcc(add2), addedToRf: truthAcc(add1) };
    log.seconds = (performance.now() - t0) / 1000;
    rounds.push(log);
    onRound?.(log);
    if (stop) {
      stopReason = stop;
      break;
    }
  }
  let weightRf: number;
  if (o.weightRf === 'auto') {
    // Inverse held-out Brier scores on pseudo-labels (RF: out-of-bag; CNN: held-out vehicles), clipped.
    const a = Number.isFinite(rfBrier) ? 1 / Math.max(rfBrier, 1e-3) : 1;
    const b = Number.isFinite(cnnBrier) ? 1 / Math.max(cnnBrier, 1e-3) : 1;
    weightRf = Math.min(0.8, Math.max(0.2, a / (a + b)));
  } else weightRf = o.weightRf;
  const rawEnsemble = ensemble(lastRawRf, lastRawCnn, weightRf);
  let decision: Decision;
  // a forest's vote share of 0 or 1 is clipped at half a tree's vote; the CNN's sigmoid at 1e-5
  const clipRf = 0.5 / (o.rf.nEstimators ?? 100);
  const clipCnn = 1e-5;
  if (o.decision === 'valley') {
    const bandwidth = o.valleyBandwidth * Math.pow(n / 2000, -0.2);
    const cut = valleyOrPriorCut(combinedLogit(lastRawRf, lastRawCnn, weightRf, clipRf, clipCnn), prior, { bandwidth });
    decision = { combine: 'logit', rule: 'valley', threshold: cut.threshold, by: cut.by, clipRf, clipCnn };
  } else if (o.decision === 'otsu' || o.decision === 'valley-emphasis') {
    const cut = guardedCut(combinedLogit(lastRawRf, lastRawCnn, weightRf, clipRf, clipCnn), o.decision === 'otsu' ? 0 : o.emphasisWindow, o.cutGuard * prior * n);
    decision = { combine: 'logit', rule: o.decision, threshold: cut.threshold ?? 0, passes: cut.passes, clipRf, clipCnn };
  } else if (o.decision === 'balanced') {
    decision = { combine: 'logit', rule: 'balanced', threshold: 0, clipRf, clipCnn };
  } else {
    if (o.decision === 'em') prior = Math.min(0.95, Math.max(0.01, estimatePrior(rawEnsemble, 0.5)));
    else if (o.decision === 'mixture') prior = Math.min(0.95, Math.max(0.01, mixturePrior(rawEnsemble).prior));
    // 'stage1' keeps the prior the rounds used
    decision = { combine: 'probability', rule: o.decision, prior };
  }
  const { pRf, pCnn, pShared } = combine(lastRawRf, lastRawCnn, weightRf, decision);
  return { m1, m2, weightRf, prior, decision, pRf, pCnn, pShared, rawRf: lastRawRf, rawCnn: lastRawCnn, brier: { rf: rfBrier, cnn: cnnBrier }, rounds, stopReason, sets: { rf: L1, cnn: L2 } };
}
