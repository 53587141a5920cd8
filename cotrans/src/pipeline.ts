// CoTrans end to end on computed fleets: stage 1 (source RF on the transferable features, aligned,
// seeds) then stage 2 (co-training M1/M2 on the target), returning the model and its report.
import { addCounts, emptyCounts, FEATURE_COLUMNS, TRANSFERABLE_COLUMNS, type FleetResult } from '@cotrans/features';
import { runStage1, type Stage1Options, type Stage1Result } from './stage1.js';
import { cotrain, type CotrainOptions, type CotrainResult, type RoundLog } from './cotrain.js';
import { BAG_VERSION, bagProbabilities, CoTransBag, CoTransModel, featureRows, imageSets, MODEL_FORMAT, MODEL_VERSION, type Manifest } from './model.js';
import type { LabelRow } from './io.js';
import { UserError } from '@cotrans/core';
import { fitRobustStandardisation, keepUnits, standardise, type Standardisation } from './align.js';
import { seedsWithTargetLabels, type TargetLabelUse } from './target-labels.js';
import { trainMembers } from './member-pool.js';

export interface TrainOptions {
  stage1?: Partial<Stage1Options>;
  cotrain?: Partial<CotrainOptions>;
  /**
   * M1 also trains on the labelled source vehicles (true by default): the full feature view of each
   * city on the anchored scale (source: robust statistics of its private vehicles; target: of all its
   * vehicles, mostly private). The target's own pseudo-labels hold only the clearest vehicles of each
   * class; the source's labels add heavy private drivers and car-sharing vehicles, which the pseudo-
   * labelled forest put on the wrong side (docs/experiments/2026-12-02-learning-stage-history.md).
   */
  m1Source?: boolean;
  /**
   * M1's feature view: 'transferable' (stage 1's columns) or 'full' (every column). The full view
   * adds stays, places and speeds, whose meaning changes with how completely a device logs.
   */
  m1View?: M1View;
  /**
   * M2 also trains on the labelled source vehicles' images (true by default). Images are in each
   * vehicle's own frame (km around its most visited cell), so they need no alignment; a CNN on
   * the simulated source's images alone ranked the real development week as well as stage 1 did.
   */
  m2Source?: boolean;
  /**
   * Columns that stage 1's alignment and M1's scales leave in their own units (`DEFAULT_UNIT_COLUMNS`;
   * [] scales every column).
   */
  unitColumns?: readonly string[];
  seed?: number;
  /**
   * CoTrans runs to bag (3 by default): train seeds seed, seed + 1, ...; the label is the sign of the
   * mean of their margins (model.ts, CoTransBag). 1: a single run, a version-2 model directory.
   */
  members?: number;
  /**
   * Members trained at once, each on its own worker thread (default: all of them). A member's CNN
   * trains on one core, so on 2 cores three members at once take half the wall time of one after the
   * other; each member's model is the same either way. 1: in-thread, one after the other.
   */
  jobs?: number;
  /** Evaluation only: target truth, used to log pseudo-label accuracy and never to train. */
  truth?: Map<string, boolean>;
  onStage?: (stage: string, detail?: Record<string, number | string>) => void;
  /** Each co-training round, with the train seed of the member it belongs to. */
  onRound?: (log: RoundLog, seed: number) => void;
}

export interface TrainInput {
  source: FleetResult;
  sourceLabels: LabelRow[];
  target: FleetResult;
  tz: string;
  imageSize?: number;
  hashes?: Manifest['data'];
  /**
   * Labelled target vehicles (reviewed verdicts): seeds of co-training with full confidence, in
   * place of stage 1's guess for the same vehicle (target-labels.ts).
   */
  targetLabels?: LabelRow[];
}

export interface TrainOutput {
  model: CoTransModel | CoTransBag;
  /** The final P(shared) per target vehicle (the bag's when there are several members). */
  pShared: number[];
  /** Stage 1 and stage 2 of the first member (train seed `seed`). */
  stage1: Stage1Result;
  cotrain: CotrainResult;
  /** Every member's stage 1 and stage 2, first member first. */
  members: { seed: number; stage1: Stage1Result; cotrain: CotrainResult }[];
  /** Target vehicles used (unflagged), in the order of the probabilities. */
  targetIds: string[];
  /** How the target labels were used (when given). */
  targetLabels?: TargetLabelUse;
  sourceUsed: number;
  sourceSkipped: { unlabeled: number; flagged: number };
}

/** Source vehicles with labels and no flags; every label must name a vehicle of the source points. */
export function joinSource(source: FleetResult, labels: LabelRow[], labelsPath = 'source labels'): { rows: FleetResult['features']; shared: boolean[]; unlabeled: number; flagged: number } {
  const byId = new Map(source.features.map((f) => [f.vehicleId, f]));
  const unknown = labels.filter((l) => !byId.has(l.vehicleId));
  if (unknown.length) {
    throw new UserError(`${labelsPath}: ${unknown.length} label(s) name vehicles absent from the source points, e.g. '${unknown[0].vehicleId}'${unknown.length > 1 ? `, '${unknown[1].vehicleId}'` : ''}`);
  }
  const lab = new Map(labels.map((l) => [l.vehicleId, l.shared]));
  const rows: FleetResult['features'] = [];
  const shared: boolean[] = [];
  let unlabeled = 0;
  let flagged = 0;
  for (const f of source.features) {
    if (!lab.has(f.vehicleId)) unlabeled++;
    else if (f.flags.length) flagged++;
    else {
      rows.push(f);
      shared.push(lab.get(f.vehicleId)!);
    }
  }
  return { rows, shared, unlabeled, flagged };
}

/**
 * Several labelled sources as one (e.g. a simulated fleet and a few real labelled vehicles): their
 * vehicles and labels side by side. Each source's features were computed in its own time zone;
 * a vehicle id may appear in one source only.
 */
export function mergeSources(parts: { fleet: FleetResult; labels: LabelRow[]; name: string }[]): { fleet: FleetResult; labels: LabelRow[] } {
  if (parts.length === 1) return { fleet: parts[0].fleet, labels: parts[0].labels };
  const seen = new Map<string, string>();
  const features: FleetResult['features'] = [];
  const images: FleetResult['images'] = new Map();
  const cleaningByVehicle: FleetResult['cleaningByVehicle'] = new Map();
  const labels: LabelRow[] = [];
  let cleaning = emptyCounts();
  for (const { fleet, labels: l, name } of parts) {
    for (const f of fleet.features) {
      const other = seen.get(f.vehicleId);
      if (other !== undefined) throw new UserError(`${name}: vehicle '${f.vehicleId}' is also in ${other}; a vehicle id may appear in one source only`);
      seen.set(f.vehicleId, name);
      features.push(f);
    }
    for (const [k, v] of fleet.images) images.set(k, v);
    for (const [k, v] of fleet.cleaningByVehicle) cleaningByVehicle.set(k, v);
    cleaning = addCounts(cleaning, fleet.cleaning);
    labels.push(...l);
  }
  features.sort((a, b) => (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0));
  return { fleet: { features, images, cleaning, cleaningByVehicle }, labels };
}

export const DEFAULT_MEMBERS = 3;
export type M1View = 'transferable' | 'full';
export const M1_VIEWS: readonly M1View[] = ['transferable', 'full'];
export const DEFAULT_M1_VIEW: M1View = 'transferable';
/** M1 also trains on the labelled source vehicles, each city on its own anchored scale. */
export const DEFAULT_M1_SOURCE = true;
/**
 * The shift columns keep their units: hours with the engine on, the longest session, sessions of 2 h
 * or more. A platform shift lasts hours in any city, so these need no alignment; scaled by each city's
 * private cars, a real week whose private cars drive twice as long as the simulated ones put its
 * part-time cabs' 3-5 h shifts where simulated private cars are
 * (docs/experiments/2026-12-03-shift-units-and-share-floor.md). Assumes the source's shifts are in
 * real hours, as a simulated or a real fleet's are.
 */
export const DEFAULT_UNIT_COLUMNS: readonly string[] = ['engine_hours_per_day', 'session_max_h', 'shift_sessions'];

export async function trainCoTrans(input: TrainInput, opts: TrainOptions = {}): Promise<TrainOutput> {
  const k = opts.members ?? DEFAULT_MEMBERS;
  if (!Number.isInteger(k) || k < 1) throw new UserError(`members: ${k} is not a whole number of at least 1`);
  const seed = opts.seed ?? 0;
  const t0 = performance.now();
  const seeds = Array.from({ length: k }, (_, i) => seed + i);
  const runs = await trainMembers(input, opts, seeds, (s) => trainOne(input, opts, s), opts.jobs ?? k);
  const first = runs[0];
  const members = runs.map((r, i) => ({ seed: seed + i, stage1: r.stage1, cotrain: r.cotrain }));
  if (k === 1) return { ...first, pShared: first.cotrain.pShared, members };
  const pShared = bagProbabilities(runs.map((r) => r.cotrain.pShared));
  const m0 = first.model.manifest;
  const manifest: Manifest = {
    ...m0,
    version: BAG_VERSION,
    members: members.map((m) => m.seed),
    metrics: {
      ...m0.metrics,
      predictedSharedShare: pShared.filter((p) => p >= 0.5).length / pShared.length,
      members: runs.map((r, i) => ({ seed: seed + i, predictedSharedShare: r.model.manifest.metrics.predictedSharedShare, stopReason: r.model.manifest.stopReason })),
    },
    timings: {
      stage1_s: runs.reduce((a, r) => a + r.model.manifest.timings.stage1_s, 0),
      stage2_s: runs.reduce((a, r) => a + r.model.manifest.timings.stage2_s, 0),
      train_s: (performance.now() - t0) / 1000,
    },
  };
  return { ...first, model: new CoTransBag(manifest, runs.map((r) => r.model)), pShared, members };
}

/** One CoTrans run: what trainCoTrans returns of each member. */
export type MemberRun = Omit<TrainOutput, 'pShared' | 'members'> & { model: CoTransModel };

/** Stage 1 and stage 2 with train seed `seed` (in this thread). */
export async function trainOne(input: TrainInput, opts: TrainOptions, seed: number): Promise<MemberRun> {
  const t0 = performance.now();
  const src = joinSource(input.source, input.sourceLabels);
  if (!src.rows.length) throw new UserError('source: no labeled vehicle with enough points (all flagged or unlabeled)');
  const nPos = src.shared.filter(Boolean).length;
  if (nPos === 0 || nPos === src.shared.length) throw new UserError(`source labels: a single class (${nPos ? 'shared' : 'private'} only) among the ${src.rows.length} usable source vehicles; stage 1 needs both classes`);
  const target = input.target.features.filter((f) => !f.flags.length);
  if (!target.length) throw new UserError(`target: no usable vehicle (${input.target.features.length} seen, all flagged or none)`);
  const imageSize = input.imageSize ?? 24;

  opts.onStage?.('stage1', { source: src.rows.length, target: target.length });
  const trans = [...TRANSFERABLE_COLUMNS];
  const groups: Record<string, number[]> = {};
  trans.forEach((c, i) => {
    const g = c.startsWith('dist')
      ? 'distance'
      : c.startsWith('cov')
        ? 'coverage'
        : c.startsWith('sim_days')
          ? 'day-to-day similarity'
          : c.startsWith('sim_')
            ? 'within-day similarity'
            : 'shift structure';
    (groups[g] ??= []).push(i);
  });
  const unitNames = opts.unitColumns ?? DEFAULT_UNIT_COLUMNS;
  const unitsOf = (columns: readonly string[]) => unitNames.flatMap((c) => (columns.includes(c) ? [columns.indexOf(c)] : []));
  const s1 = await runStage1({ X: featureRows(src.rows, trans), shared: src.shared }, { X: featureRows(target, trans) }, { ...opts.stage1, featureSets: groups, unitColumns: unitsOf(trans), rf: { seed, ...opts.stage1?.rf } });
  const t1 = performance.now();

  const given = input.targetLabels ? seedsWithTargetLabels(s1.seeds, target.map((f) => f.vehicleId), input.targetLabels) : null;
  const seeds = given?.seeds ?? s1.seeds;
  opts.onStage?.('stage2', { seeds: seeds.length, ...(given ? { targetLabels: given.use.used } : {}) });
  const full = (opts.m1View ?? DEFAULT_M1_VIEW) === 'full' ? [...FEATURE_COLUMNS] : trans;
  const truth = opts.truth ? target.map((f) => opts.truth!.get(f.vehicleId) ?? false) : undefined;
  let X = featureRows(target, full);
  let m1Scale: Standardisation | null = null;
  let m1Extra: { X: number[][]; shared: boolean[] } | undefined;
  if (opts.m1Source ?? DEFAULT_M1_SOURCE) {
    const Xs = featureRows(src.rows, full);
    // the target's scale is anchored on the rows stage 1 anchored on (its private cars); without
    // stage-1 anchoring, on the whole target
    const units = unitsOf(full);
    m1Scale = keepUnits(fitRobustStandardisation(s1.anchorRows.length ? s1.anchorRows.map((i) => X[i]) : X), units);
    X = standardise(X, m1Scale);
    m1Extra = { X: standardise(Xs, keepUnits(fitRobustStandardisation(Xs.filter((_, i) => !src.shared[i])), units)), shared: src.shared };
  }
  const m2Extra = (opts.m2Source ?? true) ? { images: imageSets(src.rows, input.source.images, imageSize), shared: src.shared } : undefined;
  const ct = await cotrain(
    { X, m1Extra, m2Extra, images: imageSets(target, input.target.images, imageSize), seeds, prior: s1.prior, truth },
    { ...opts.cotrain, rf: { seed, ...opts.cotrain?.rf }, image: { seed, ...opts.cotrain?.image } },
    opts.onRound && ((log) => opts.onRound!(log, seed)),
  );
  const t2 = performance.now();
  const manifest: Manifest = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    createdAt: new Date().toISOString(),
    columns: { transferable: trans, full },
    features: { tz: input.tz, imageSize },
    stage1: { alignment: s1.alignment, source: s1.source, target: s1.target, coral: s1.coral, prior: s1.prior, mmd: s1.mmd },
    seeds: seeds.map((s) => ({ vehicleId: target[s.index].vehicleId, label: s.shared ? 'shared' : 'private', confidence: s.confidence })),
    m1Scale,
    weightRf: ct.weightRf,
    prior: ct.prior,
    decision: ct.decision,
    stopReason: ct.stopReason,
    rounds: ct.rounds,
    config: { seed, members: opts.members ?? DEFAULT_MEMBERS, unitColumns: [...unitNames], m1Source: opts.m1Source ?? DEFAULT_M1_SOURCE, m1View: opts.m1View ?? DEFAULT_M1_VIEW, m2Source: opts.m2Source ?? true, stage1: opts.stage1 ?? {}, cotrain: opts.cotrain ?? {} },
    data: input.hashes ?? { source: '', sourceLabels: '', target: '' },
    metrics: {
      sourceVehicles: src.rows.length,
      sourceShared: nPos,
      targetVehicles: target.length,
      targetFlagged: input.target.features.length - target.length,
      stage1Rf: { oobScore: s1.rf.oobScore },
      estimatedPrior: s1.prior,
      predictedSharedShare: ct.pShared.filter((p) => p >= 0.5).length / target.length,
      ...(given ? { targetLabels: given.use } : {}),
    },
    timings: { stage1_s: (t1 - t0) / 1000, stage2_s: (t2 - t1) / 1000 },
  };
  return {
    model: new CoTransModel(manifest, s1.rf, ct.m1, ct.m2),
    stage1: s1,
    cotrain: ct,
    targetIds: target.map((f) => f.vehicleId),
    ...(given ? { targetLabels: given.use } : {}),
    sourceUsed: src.rows.length,
    sourceSkipped: { unlabeled: src.unlabeled, flagged: src.flagged },
  };
}
