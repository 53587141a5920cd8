// The experiment table in one go on the same data: source-only RF (stage 1), CNN on the stage-1 seeds
// only, CoTrans (stage 1 + co-training), and the supervised upper bound (k-fold CV of RF + CNN with
// the target truth). Truth is used by the evaluation and the upper bound only.
import { UserError } from '@cotrans/core';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FEATURE_COLUMNS, type FleetResult } from '@cotrans/features';
import { binaryReport, confidenceCurve, perStratumRecall, rocCurve, type BinaryReport } from './metrics.js';
import { joinSource, trainCoTrans, type TrainOptions, type TrainOutput } from './pipeline.js';
import { RandomForestClassifier } from './rf/forest.js';
import { ImageModel, type ImageModelOptions } from './cnn/images.js';
import { CoTransBag, featureRows, imageSets } from './model.js';
import type { Decision } from './decision.js';
import { shiftPrior } from './prior.js';
import { DEFAULT_COTRAIN } from './cotrain.js';
import { oobBrier } from './diagnostics.js';
import { lineChartSvg, writeSvgPng } from './plots.js';
import { mulberry32, shuffle } from '@cotrans/core';
import type { LabelRow } from './io.js';

export interface ExperimentRow {
  method: string;
  report: BinaryReport;
  perStratum?: ReturnType<typeof perStratumRecall>;
  seconds: number;
}

export interface ExperimentResult {
  rows: ExperimentRow[];
  /** Vehicles placed into the pool from elsewhere (e.g. real taxis): their recall as shared, per method. */
  placed?: { ids: string[]; recall: Record<string, number> };
  train: TrainOutput;
  vehicles: number;
  sharedShare: number;
  scores: Record<string, number[]>;
  truth: boolean[];
}

/** k-fold CV of RF (full view) + image CNN with true labels: the supervised upper bound. */
async function supervised(target: FleetResult['features'], images: FleetResult['images'], truth: boolean[], folds: number, seed: number, image: Partial<ImageModelOptions>, imageSize: number): Promise<number[]> {
  const n = target.length;
  const order = Array.from({ length: n }, (_, i) => i);
  shuffle(order, mulberry32(seed ^ 0x51ed));
  // stratified: deal shared and private round-robin into folds
  const fold = new Int32Array(n);
  let a = 0;
  let b = 0;
  for (const i of order) fold[i] = truth[i] ? a++ % folds : b++ % folds;
  const X = featureRows(target, FEATURE_COLUMNS);
  const sets = imageSets(target, images, imageSize);
  const p = new Array<number>(n).fill(NaN);
  for (let k = 0; k < folds; k++) {
    const tr = order.filter((i) => fold[i] !== k);
    const te = order.filter((i) => fold[i] === k);
    // Supervised on the target's own class mix: no class weights, so the posteriors are already at
    // the target prior (shifting balanced posteriors of an uncalibrated forest cost recall).
    const rf = await new RandomForestClassifier({ ...DEFAULT_COTRAIN.rf, classWeight: null, seed }).fit(tr.map((i) => X[i]), tr.map((i) => (truth[i] ? 'shared' : 'private')));
    const rfBrier = oobBrier(rf, tr.length, (r) => truth[tr[r]]);
    const im = new ImageModel({ seed, ...image, cnn: { ...image.cnn, balanceClasses: false } });
    const rep = await im.fit(tr.map((i) => sets[i]), tr.map((i) => (truth[i] ? 1 : 0)));
    const wa = 1 / Math.max(Number.isFinite(rfBrier) ? rfBrier : 0, 1e-3);
    const wb = Number.isFinite(rep.heldOut.brier) ? 1 / Math.max(rep.heldOut.brier, 1e-3) : wa;
    const w = Math.min(0.8, Math.max(0.2, wa / (wa + wb)));
    const pr = rf.probaOf(te.map((i) => X[i]), 'shared');
    const pc = await im.predictProba(te.map((i) => sets[i]));
    te.forEach((i, r) => (p[i] = w * pr[r] + (1 - w) * pc[r]));
    im.dispose();
  }
  return p;
}

export async function runExperiment(
  input: { source: FleetResult; sourceLabels: LabelRow[]; target: FleetResult; truth: LabelRow[]; tz: string; imageSize?: number; placedIds?: string[] },
  opts: TrainOptions & {
    folds?: number;
    /** Rows for the CNN on source images: plain, with MMD and with DANN (true). */
    deepTransfer?: boolean;
    onStage?: (stage: string, detail?: Record<string, number | string>) => void;
  } = {},
): Promise<ExperimentResult> {
  const seed = opts.seed ?? 0;
  const truthMap = new Map(input.truth.map((l) => [l.vehicleId, l.shared]));
  const strata = new Map(input.truth.map((l) => [l.vehicleId, l.stratum ?? '']));
  const t0 = performance.now();
  const train = await trainCoTrans({ source: input.source, sourceLabels: input.sourceLabels, target: input.target, tz: input.tz, imageSize: input.imageSize }, { ...opts, truth: truthMap });
  const tTrain = (performance.now() - t0) / 1000;
  const ids = train.targetIds;
  const missing = ids.filter((id) => !truthMap.has(id));
  if (missing.length) throw new UserError(`truth labels lack ${missing.length} target vehicle(s), e.g. '${missing[0]}'`);
  const truth = ids.map((id) => truthMap.get(id)!);
  const st = ids.map((id) => strata.get(id) ?? '');
  const hasStrata = st.some((s) => s);
  const byId = new Map(input.target.features.map((f) => [f.vehicleId, f]));
  const target = ids.map((id) => byId.get(id)!);
  const imageSize = input.imageSize ?? 24;
  const scores: Record<string, number[]> = {};
  const rows: ExperimentRow[] = [];
  const add = (method: string, p: number[], seconds: number) => {
    scores[method] = p;
    const pred = p.map((v) => v >= 0.5);
    rows.push({ method, report: binaryReport(truth, pred, p), ...(hasStrata ? { perStratum: perStratumRecall(truth, pred, st) } : {}), seconds });
  };
  const runModels = train.model instanceof CoTransBag ? train.model.members : [train.model];
  add('source-only RF (stage 1)', train.stage1.pShared, runModels[0].manifest.timings.stage1_s);

  opts.onStage?.('cnn-on-seeds');
  const t1 = performance.now();
  const seedModel = new ImageModel({ seed, ...opts.cotrain?.image });
  const sets = imageSets(target, input.target.images, imageSize);
  await seedModel.fit(train.stage1.seeds.map((s) => sets[s.index]), train.stage1.seeds.map((s) => (s.shared ? 1 : 0)));
  const pSeeds = Array.from(await seedModel.predictProba(sets), (p) => shiftPrior(p, train.stage1.prior, 0.5));
  seedModel.dispose();
  add('CNN on stage-1 seeds', pSeeds, (performance.now() - t1) / 1000);
  if (opts.deepTransfer ?? true) {
    // The seed deck's deep transfer methods: a CNN on the labelled source's images, plain, with an
    // MMD penalty (DDC/DAN) or with a domain classifier behind a gradient reversal (DANN) against
    // the unlabelled target's images; a target vehicle scores as M2 scores it.
    const src = joinSource(input.source, input.sourceLabels);
    const srcSets = imageSets(src.rows, input.source.images, imageSize);
    for (const [name, method] of [['CNN on source images', null], ['CNN on source images + MMD (DDC/DAN)', 'mmd'], ['CNN on source images + DANN', 'dann']] as const) {
      opts.onStage?.('deep-transfer', { method: method ?? 'none' });
      const t = performance.now();
      const m = new ImageModel({ seed, ...opts.cotrain?.image });
      await m.fit(srcSets, src.shared.map((v) => (v ? 1 : 0)), method ? { domain: { vehicles: sets, method } } : {});
      const p = Array.from(await m.predictProba(sets));
      m.dispose();
      add(name, p, (performance.now() - t) / 1000);
    }
  }
  add('CoTrans', train.pShared, tTrain);
  // each run of a bag on its own, after the bag's row (readers find the first row named CoTrans)
  if (train.members.length > 1) {
    train.members.forEach((m, i) => add(`CoTrans, one run (train seed ${m.seed})`, m.cotrain.pShared, runModels[i].manifest.timings.stage1_s + runModels[i].manifest.timings.stage2_s));
  }

  opts.onStage?.('supervised', { folds: opts.folds ?? 5 });
  const t2 = performance.now();
  const pSup = await supervised(target, input.target.images, truth, opts.folds ?? 5, seed, { ...opts.cotrain?.image }, imageSize);
  add(`supervised upper bound (${opts.folds ?? 5}-fold CV, RF+CNN)`, pSup, (performance.now() - t2) / 1000);
  let placed: ExperimentResult['placed'];
  if (input.placedIds?.length) {
    const want = new Set(input.placedIds);
    const idx = ids.map((id, i) => (want.has(id) ? i : -1)).filter((i) => i >= 0);
    placed = { ids: idx.map((i) => ids[i]), recall: Object.fromEntries(Object.entries(scores).map(([k, p]) => [k, idx.length ? idx.filter((i) => p[i] >= 0.5).length / idx.length : NaN])) };
  }
  return { rows, train, vehicles: ids.length, sharedShare: truth.filter(Boolean).length / truth.length, scores, truth, placed };
}

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : 'n/a');

export function decisionText(d: Decision): string {
  const passes = d.passes && d.passes > 1 ? ` (${d.passes} passes: the first cut put over --cut-guard times stage 1's share above it)` : '';
  const floored = d.floored ? " (moved down to --cut-floor times stage 1's share)" : '';
  return `rule ${d.rule}, combined log-odds cut at ${d.threshold.toFixed(2)}${passes}${floored}`;
}

export function experimentMarkdown(r: ExperimentResult): string {
  const lines = [
    `# CoTrans experiment`,
    '',
    `Target: ${r.vehicles} vehicles, ${pct(r.sharedShare)}% shared (truth used for evaluation and the upper bound only).`,
    `Estimated target prior (stage 1, alignment ${r.train.stage1.alignment}): ${pct(r.train.stage1.prior)}%. Seeds: ${r.train.stage1.seeds.length}. Co-training: ${r.train.cotrain.rounds.length} round(s), stop: ${r.train.cotrain.stopReason}, ensemble weight of M1: ${r.train.cotrain.weightRf.toFixed(2)}. Final decision: ${decisionText(r.train.cotrain.decision)}.`,
    ...(r.train.members.length > 1
      ? ['', `CoTrans is the mean margin of ${r.train.members.length} runs (train seeds ${r.train.members.map((m) => m.seed).join(', ')}); the prior, seeds, rounds and decision above and below are the first run's.`]
      : []),
    '',
    '| method | F1 (shared) | precision | recall | accuracy | ROC AUC | TP | FP | TN | FN | seconds |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.method} | ${pct(x.report.f1)} | ${pct(x.report.precision)} | ${pct(x.report.recall)} | ${pct(x.report.accuracy)} | ${pct(x.report.rocAuc)} | ${x.report.confusion.tp} | ${x.report.confusion.fp} | ${x.report.confusion.tn} | ${x.report.confusion.fn} | ${x.seconds.toFixed(1)} |`),
    '',
    '## Domain distance (multi-kernel MMD^2, source vs target)',
    '',
    '| feature set | columns | before alignment | after |',
    '|---|---|---|---|',
    ...r.train.stage1.mmd.map((m) => `| ${m.set} | ${m.columns} | ${m.before.toFixed(4)} | ${m.after.toFixed(4)} |`),
    '',
    '## Co-training rounds',
    '',
    '| round | RF set (shared/private) | CNN set | added to CNN | added to RF | agreement | kappa | pseudo-label acc. RF set | CNN set | seconds |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.train.cotrain.rounds.map((x) => `| ${x.round} | ${x.rfSet.shared}/${x.rfSet.private} | ${x.cnnSet.shared}/${x.cnnSet.private} | ${x.addedToCnn.shared}/${x.addedToCnn.private} | ${x.addedToRf.shared}/${x.addedToRf.private} | ${pct(x.agreement)} | ${x.kappa.toFixed(2)} | ${x.pseudoAccuracy ? pct(x.pseudoAccuracy.rfSet) : ''} | ${x.pseudoAccuracy ? pct(x.pseudoAccuracy.cnnSet) : ''} | ${x.seconds.toFixed(1)} |`),
  ];
  const withStrata = r.rows.filter((x) => x.perStratum);
  if (withStrata.length) {
    const names = Object.keys(withStrata[0].perStratum!);
    lines.push('', '## Recall per stratum (share given the true label)', '', `| method | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`);
    for (const x of withStrata) lines.push(`| ${x.method} | ${names.map((k) => `${pct(x.perStratum![k].recall)} (n=${x.perStratum![k].n})`).join(' | ')} |`);
  }
  if (r.placed) {
    lines.push('', `## Placed vehicles (${r.placed.ids.length}, e.g. real taxis moved into the pool): recall as shared`, '', '| method | recall |', '|---|---|');
    for (const [k, v] of Object.entries(r.placed.recall)) lines.push(`| ${k} | ${pct(v)} |`);
  }
  lines.push('', 'Plots: roc.png (ROC curves), confidence.png (accuracy of the top share of the target ranked by confidence).', '');
  return lines.join('\n');
}

export async function writeExperiment(r: ExperimentResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = ['experiment.md', 'experiment.json', 'roc.png', 'confidence.png'].map((f) => path.join(dir, f));
  await writeFile(files[0], experimentMarkdown(r));
  const json = {
    vehicles: r.vehicles,
    sharedShare: r.sharedShare,
    rows: r.rows,
    mmd: r.train.stage1.mmd,
    prior: r.train.stage1.prior,
    seeds: r.train.stage1.seeds.length,
    rounds: r.train.cotrain.rounds,
    stopReason: r.train.cotrain.stopReason,
    weightRf: r.train.cotrain.weightRf,
    placed: r.placed,
    confidence: Object.fromEntries(Object.entries(r.scores).map(([k, p]) => [k, confidenceCurve(r.truth, p)])),
  };
  await writeFile(files[1], JSON.stringify(json, null, 1));
  const roc = Object.entries(r.scores).map(([name, p]) => ({ name, points: rocCurve(r.truth, p).map((q) => [q.fpr, q.tpr] as [number, number]) }));
  await writeSvgPng(lineChartSvg({ title: 'ROC on the target (shared = positive)', xLabel: 'false positive rate', yLabel: 'true positive rate', series: roc, diagonal: true, legend: 'bottom-right' }), files[2]);
  const conf = Object.entries(r.scores).map(([name, p]) => ({ name, points: [[0, 1] as [number, number], ...confidenceCurve(r.truth, p, 20).map((q) => [q.fraction, q.accuracy] as [number, number])].slice(1) }));
  const minAcc = Math.min(...conf.flatMap((s) => s.points.map((q) => q[1])));
  await writeSvgPng(lineChartSvg({ title: 'Accuracy of the target ranked by confidence', xLabel: 'share of the target (most confident first)', yLabel: 'accuracy', series: conf, yRange: [Math.max(0, Math.floor(minAcc * 10) / 10 - 0.1), 1], legend: 'bottom-left' }), files[3]);
  return files;
}
