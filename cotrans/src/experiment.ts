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
import { runImageJobs, type ImageJob, type ImageJobResult } from './image-jobs.js';
import { CoTransBag, featureRows, imageSets } from './model.js';
import type { Decision } from './decision.js';
import { shiftPrior } from './prior.js';
import { DEFAULT_COTRAIN } from './cotrain.js';
import { oobBrier } from './diagnostics.js';
import { lineChartSvg, writeSvgPng } from './plots.js';
import { csvRow, mulberry32, shuffle } from '@cotrans/core';
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
  /** Per vehicle, in the order of `train.targetIds`: the truth's stratum ('' where it has none). */
  strata: string[];
}

/** Stratified k folds: shared and private dealt round-robin, in a seeded order. */
function stratifiedFolds(truth: boolean[], folds: number, seed: number): { train: number[]; test: number[] }[] {
  const order = Array.from({ length: truth.length }, (_, i) => i);
  shuffle(order, mulberry32(seed ^ 0x51ed));
  const fold = new Int32Array(truth.length);
  let a = 0;
  let b = 0;
  for (const i of order) fold[i] = truth[i] ? a++ % folds : b++ % folds;
  return Array.from({ length: folds }, (_, k) => ({ train: order.filter((i) => fold[i] !== k), test: order.filter((i) => fold[i] === k) }));
}

/**
 * One fold of the supervised upper bound (k-fold CV of RF on the full view + image CNN, true labels):
 * the forest here, the CNN's scores from its image job; blended by their held-out Brier scores.
 */
async function supervisedFold(X: number[][], truth: boolean[], fold: { train: number[]; test: number[] }, seed: number, cnn: ImageJobResult): Promise<number[]> {
  const tr = fold.train;
  // Supervised on the target's own class mix: no class weights, so the posteriors are already at
  // the target prior (shifting balanced posteriors of an uncalibrated forest cost recall).
  const rf = await new RandomForestClassifier({ ...DEFAULT_COTRAIN.rf, classWeight: null, seed }).fit(tr.map((i) => X[i]), tr.map((i) => (truth[i] ? 'shared' : 'private')));
  const rfBrier = oobBrier(rf, tr.length, (r) => truth[tr[r]]);
  const wa = 1 / Math.max(Number.isFinite(rfBrier) ? rfBrier : 0, 1e-3);
  const wb = Number.isFinite(cnn.report.heldOut.brier) ? 1 / Math.max(cnn.report.heldOut.brier, 1e-3) : wa;
  const w = Math.min(0.8, Math.max(0.2, wa / (wa + wb)));
  const pr = rf.probaOf(fold.test.map((i) => X[i]), 'shared');
  return fold.test.map((_, r) => w * pr[r] + (1 - w) * cnn.p[r]);
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

  // Every CNN row beside CoTrans is an independent, seeded fit: they run at once on worker threads
  // (image-jobs.ts), on one pool of image sets, the target's first and then the source's.
  const sets = imageSets(target, input.target.images, imageSize);
  const src = (opts.deepTransfer ?? true) ? joinSource(input.source, input.sourceLabels) : null;
  const srcSets = src ? imageSets(src.rows, input.source.images, imageSize) : [];
  const pool = [...sets, ...srcSets];
  const all = sets.map((_, i) => i);
  const image = { seed, ...opts.cotrain?.image };
  const jobs: ImageJob[] = [{ name: 'cnn-on-seeds', options: image, train: train.stage1.seeds.map((s) => s.index), labels: train.stage1.seeds.map((s) => (s.shared ? 1 : 0)), predict: all }];
  // The seed deck's deep transfer methods: a CNN on the labelled source's images, plain, with an
  // MMD penalty (DDC/DAN) or with a domain classifier behind a gradient reversal (DANN) against
  // the unlabelled target's images; a target vehicle scores as M2 scores it.
  const deepRows = [['CNN on source images', null], ['CNN on source images + MMD (DDC/DAN)', 'mmd'], ['CNN on source images + DANN', 'dann']] as const;
  if (src) {
    const srcIdx = srcSets.map((_, i) => sets.length + i);
    const srcLabels = src.shared.map((v) => (v ? 1 : 0));
    for (const [, method] of deepRows) jobs.push({ name: `deep-transfer:${method ?? 'none'}`, options: image, train: srcIdx, labels: srcLabels, ...(method ? { domain: { vehicles: all, method } } : {}), predict: all });
  }
  const folds = opts.folds ?? 5;
  const cv = stratifiedFolds(truth, folds, seed);
  const firstFold = jobs.length;
  const supImage = { ...image, cnn: { ...image.cnn, balanceClasses: false } };
  for (const [k, f] of cv.entries()) jobs.push({ name: `supervised:fold ${k + 1}/${folds}`, options: supImage, train: f.train, labels: f.train.map((i) => (truth[i] ? 1 : 0)), predict: f.test });
  const done = await runImageJobs(pool, jobs, { jobs: opts.jobs, onStart: (j, i) => opts.onStage?.('image-job', { job: j.name, index: i + 1, of: jobs.length }) });

  add('CNN on stage-1 seeds', Array.from(done[0].p, (p) => shiftPrior(p, train.stage1.prior, 0.5)), done[0].seconds);
  if (src) deepRows.forEach(([name], k) => add(name, Array.from(done[1 + k].p), done[1 + k].seconds));
  add('CoTrans', train.pShared, tTrain);
  // each run of a bag on its own, after the bag's row (readers find the first row named CoTrans)
  if (train.members.length > 1) {
    train.members.forEach((m, i) => add(`CoTrans, one run (train seed ${m.seed})`, m.cotrain.pShared, runModels[i].manifest.timings.stage1_s + runModels[i].manifest.timings.stage2_s));
  }

  const X = featureRows(target, FEATURE_COLUMNS);
  const pSup = new Array<number>(target.length).fill(NaN);
  let supSeconds = 0;
  for (const [k, f] of cv.entries()) {
    const r = done[firstFold + k];
    const p = await supervisedFold(X, truth, f, seed, r);
    f.test.forEach((i, j) => (pSup[i] = p[j]));
    supSeconds += r.seconds;
  }
  add(`supervised upper bound (${folds}-fold CV, RF+CNN)`, pSup, supSeconds);
  let placed: ExperimentResult['placed'];
  if (input.placedIds?.length) {
    const want = new Set(input.placedIds);
    const idx = ids.map((id, i) => (want.has(id) ? i : -1)).filter((i) => i >= 0);
    placed = { ids: idx.map((i) => ids[i]), recall: Object.fromEntries(Object.entries(scores).map(([k, p]) => [k, idx.length ? idx.filter((i) => p[i] >= 0.5).length / idx.length : NaN])) };
  }
  return { rows, train, vehicles: ids.length, sharedShare: truth.filter(Boolean).length / truth.length, scores, truth, strata: st, placed };
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
  lines.push('', 'Plots: roc.png (ROC curves), confidence.png (accuracy of the top share of the target ranked by confidence). Scores per vehicle and method: scores.csv.', '');
  return lines.join('\n');
}

/**
 * scores.csv: one line per target vehicle with its truth and stratum and each method's P(shared), at
 * full precision, so a cut or a blend can be studied afterwards without training again.
 */
export function scoresCsv(r: ExperimentResult): string {
  const methods = Object.keys(r.scores);
  const head = csvRow(['vehicle_id', 'truth', 'stratum', ...methods]);
  const lines = r.train.targetIds.map((id, i) => csvRow([id, r.truth[i] ? 'shared' : 'private', r.strata[i], ...methods.map((m) => String(r.scores[m][i]))]));
  return [head, ...lines].join('\n') + '\n';
}

export async function writeExperiment(r: ExperimentResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = ['experiment.md', 'experiment.json', 'roc.png', 'confidence.png', 'scores.csv'].map((f) => path.join(dir, f));
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
  await writeFile(files[4], scoresCsv(r));
  const roc = Object.entries(r.scores).map(([name, p]) => ({ name, points: rocCurve(r.truth, p).map((q) => [q.fpr, q.tpr] as [number, number]) }));
  await writeSvgPng(lineChartSvg({ title: 'ROC on the target (shared = positive)', xLabel: 'false positive rate', yLabel: 'true positive rate', series: roc, diagonal: true, legend: 'bottom-right' }), files[2]);
  const conf = Object.entries(r.scores).map(([name, p]) => ({ name, points: [[0, 1] as [number, number], ...confidenceCurve(r.truth, p, 20).map((q) => [q.fraction, q.accuracy] as [number, number])].slice(1) }));
  const minAcc = Math.min(...conf.flatMap((s) => s.points.map((q) => q[1])));
  await writeSvgPng(lineChartSvg({ title: 'Accuracy of the target ranked by confidence', xLabel: 'share of the target (most confident first)', yLabel: 'accuracy', series: conf, yRange: [Math.max(0, Math.floor(minAcc * 10) / 10 - 0.1), 1], legend: 'bottom-left' }), files[3]);
  return files;
}
