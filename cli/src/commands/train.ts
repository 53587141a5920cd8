import type { LabelRow, LoadedFleet, TrainOptions, TrainOutput } from '@cotrans/cotrans';
import type { LogFormat } from '@cotrans/ingest';
import type { Command, ParsedArgs } from '../kit.js';
import { UserError, num, str } from '../kit.js';
import { FLEET_OPTIONS, LEARN_OPTIONS, learnOptions, sourcePairs } from '../learn-options.js';
import { loadInput } from '../fleet-input.js';

export const command: Command = {
  name: 'train',
  summary: 'train CoTrans (stage 1 linking + stage 2 co-training) into a model directory',
  usage: 'cotrans train --source <points> --source-labels <labels.csv> --target <points> --models DIR [--tz Area/City] [options]',
  options: {
    ...FLEET_OPTIONS,
    models: { type: 'string', arg: 'DIR', help: 'model directory: the model is a new version in DIR/versions/<id>, made current once whole (cotrans models)' },
    'source-tz': { type: 'string', arg: 'Area/City', help: 'time zone of the source fleet (overrides --tz)' },
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
    ...LEARN_OPTIONS,
    seed: { type: 'string', arg: 'N', help: 'seed of every random choice', default: '0' },
    'eval-truth': { type: 'string', arg: 'FILE', help: 'target labels for the round log only (pseudo-label accuracy); never used to train' },
    'target-labels': { type: 'string', arg: 'reviews|FILE', help: "labelled target vehicles to train on: 'reviews' (the latest shared/private verdict per vehicle in --db) or a labels CSV" },
    db: { type: 'string', arg: 'FILE', help: 'the store whose reviews --target-labels reviews reads (opened read-only)' },
  },
  details: `Computes features and images of both fleets, trains the random forest on the source's 15
transferable features (the reference work's 12 and 3 of shift structure; domains aligned on their
private cars, MMD reported), picks confident target seeds per class, then co-trains M1 (RF on
the same transferable view, or every column with --m1-view full; it also learns from the labelled source
vehicles, each city on its own anchored scale, unless --m1-source off) and M2 (CNN on day images;
a vehicle scores by its best days) on the target; a run's label cuts the ensemble's log-odds
(--decision; the cut is stored, and classify applies it), the cut kept between --cut-floor and
--cut-guard times the number of shared vehicles stage 1 expects. The shift columns (--unit-columns)
stay in hours and counts in both cities; the others are put on each city's private-car scale. Several --source/--source-labels pairs
are one labelled source: their vehicles side by side (ids must differ between sources). --members runs
(3 by default, train seeds --seed, --seed + 1, ...) are bagged: the label is the sign of the mean
of their margins (log-odds minus cut). The members train at once, one worker thread each
(--jobs limits how many; each member's model is the same bytes either way), and one CNN fit trains
on at most --cnn-fit-cap vehicles, a fresh class-stratified sample of its set each round. Writes a new version, DIR/versions/<id>/ (id = UTC
creation time + content hash), beside the older ones, then points DIR/current at it (one atomic
rename; a crash before it keeps the previous version current; cotrans models use ID rolls back).
A version holds manifest.json (version, columns, alignment, seeds, ensemble weight, round log,
data hashes, metrics, timings; with several members: their seeds and the first run's details)
and members/<i>/ (one per run: its manifest.json, m1-rf.json, image/ with the CNN weights); with
--members 1 the run's files are the version itself.
--target-labels: each labelled target vehicle becomes a co-training seed with full confidence,
in place of stage 1's guess for it (a stage-1 seed of the other class is turned round), so both
M1 and M2 start from it and it stays labelled in every round; 'unsure' verdicts and vehicles not
in the usable target (absent or flagged) are left out and counted. The manifest's seeds and
metrics.targetLabels (given, used, shared, overturned, unmatched) record it.
Exit 1 on bad input: labels naming vehicles absent from the source, a single-class source,
an empty target.`,
  examples: [
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --models /tmp/models',
    'cotrans train --source taxi.csv.gz --source-labels taxi-labels.csv --target pool.csv.gz --tz Asia/Shanghai --models models/ --rounds 12 --alignment coral',
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --models /tmp/models-b --day-score mean --decision valley-emphasis --weight-rf 0.5 --m1-source off',
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --models /tmp/models-1 --members 1   # one run, a third of the time',
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --models /tmp/models --jobs 1 --cnn-fit-cap off   # members one after the other, every CNN fit on its whole set (less memory, more time)',
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --models /tmp/models-p --cut-floor off --cut-guard 3 --unit-columns none   # the decision and scales before 2026-12-03',
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --models /tmp/models --target-labels reviews --db out/cotrans.sqlite   # reviewers\' verdicts as target labels',
    'cotrans train --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --source real-few.csv.gz --source-labels real-few-labels.csv --target pool.csv.gz --tz America/Los_Angeles --models /tmp/models-r   # a simulated and a small real labelled source',
  ],
  async run(args) {
    await trainToModels(await trainJobOf(args));
  },
};

/** What a training reads and how it learns: `train`'s options, typed. */
export interface TrainJob {
  /** Labelled sources, side by side: each a GPS log and its labels CSV. */
  sources: { points: string; labels: string }[];
  target: string;
  /** Time zone of both fleets; default: city.json next to each input. */
  tz?: string;
  sourceTz?: string;
  format?: LogFormat;
  learn?: Pick<TrainOptions, 'stage1' | 'cotrain' | 'm1Source' | 'm1View' | 'members' | 'unitColumns'>;
  seed?: number;
  /** Target truth for the round log only (never trained on). */
  evalTruth?: string;
  targetLabels?: LabelRow[];
}

/** `train`'s options read into a job (the labels of --target-labels read too); `run` names the target itself. */
export async function trainJobOf(args: ParsedArgs, target?: string): Promise<TrainJob & { models: string }> {
  const { sources, labelPaths } = sourcePairs(args);
  const targetLabels = await readTargetLabels(args);
  const evalTruth = str(args, 'eval-truth');
  const tz = str(args, 'tz');
  const sourceTz = str(args, 'source-tz');
  return {
    models: str(args, 'models', true),
    sources: sources.map((points, i) => ({ points, labels: labelPaths[i] })),
    target: target ?? str(args, 'target', true),
    ...(tz ? { tz } : {}),
    ...(sourceTz ? { sourceTz } : {}),
    format: (str(args, 'format') ?? 'auto') as LogFormat,
    learn: learnOptions(args),
    seed: num(args, 'seed', { def: 0, integer: true, min: 0 })!,
    ...(evalTruth ? { evalTruth } : {}),
    ...(targetLabels ? { targetLabels } : {}),
  };
}

/** Trains, writes a new version into `models` and makes it current; prints what `train` prints. Returns the version id. */
export async function trainToModels(job: TrainJob & { models: string }): Promise<string> {
  const learn = await import('@cotrans/cotrans');
  const { out, tgt } = await trainFleets(job);
  try {
    const id = await out.model.save(job.models);
    printTraining(learn, out, tgt);
    process.stdout.write(`wrote ${job.models} (version ${id}, now current)\n`);
    return id;
  } finally {
    out.model.dispose();
  }
}

/** Reads the fleets and trains; `run` passes its input as the already read target. */
export async function trainFleets(job: TrainJob, given?: { target: LoadedFleet; tz: string }): Promise<{ out: TrainOutput; tgt: LoadedFleet }> {
  const learn = await import('@cotrans/cotrans');
  const sources = job.sources.map((s) => s.points);
  const labelPaths = job.sources.map((s) => s.labels);
  const format = job.format ?? 'auto';
  const targetTz = given?.tz ?? (await learn.resolveTz(job.target, job.tz));
  const truth = job.evalTruth ? await learn.readLabels(job.evalTruth) : undefined;
  const t0 = performance.now();
  const parts = [];
  for (const [i, source] of sources.entries()) {
    const sourceTz = await learn.resolveTz(source, job.sourceTz ?? job.tz, '--source-tz or --tz');
    const fleet = await loadInput(source, { tz: sourceTz, format, name: sources.length > 1 ? `source ${i + 1}` : 'source' });
    parts.push({ fleet, labels: await learn.readLabels(labelPaths[i]), name: source });
  }
  const { fleet: src, labels } = learn.mergeSources(parts);
  const tgt = given?.target ?? (await loadInput(job.target, { tz: targetTz, format, name: 'target' }));
  if (!tgt.features.length) throw new UserError(`${job.target}: the target holds no vehicles`);
  const tFeatures = (performance.now() - t0) / 1000;
  const hash = async (ps: string[]) => (await Promise.all(ps.map((p) => learn.hashInput(p)))).join('+');
  const hashes = { source: await hash(sources), sourceLabels: await hash(labelPaths), target: await learn.hashInput(job.target) };
  const out = await learn.trainCoTrans(
    { source: src, sourceLabels: labels, target: tgt, tz: targetTz, hashes, ...(job.targetLabels ? { targetLabels: job.targetLabels } : {}) },
    {
      seed: job.seed ?? 0,
      truth: truth ? new Map(truth.map((l) => [l.vehicleId, l.shared])) : undefined,
      ...job.learn,
      onStage: (stage, d) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'train', stage, ...d }) + '\n'),
      onRound: (r, seed) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'cotrain', seed, ...r }) + '\n'),
    },
  );
  out.model.manifest.timings.features_s = tFeatures;
  out.model.manifest.timings.total_s = (performance.now() - t0) / 1000;
  return { out, tgt };
}

/** --target-labels: the store's reviewed verdicts, or a labels CSV. */
async function readTargetLabels(args: ParsedArgs): Promise<LabelRow[] | undefined> {
  const which = str(args, 'target-labels');
  const db = str(args, 'db');
  // `run` shares this reader and has a --db of its own (its output store): only --target-labels reads it here
  if (!which) return undefined;
  if (which !== 'reviews') return (await import('@cotrans/cotrans')).readLabels(which);
  if (!db) throw new UserError('--target-labels reviews needs --db FILE (the store the dashboard writes reviews into)');
  const { readReviewedLabels } = await import('@cotrans/dashboard');
  const labels = readReviewedLabels(db);
  if (!labels.length) throw new UserError(`${db}: no shared or private verdict to train on (--target-labels reviews)`);
  return labels;
}

/** What train prints of a training (also printed by run). */
export function printTraining(learn: typeof import('@cotrans/cotrans'), out: TrainOutput, tgt: LoadedFleet): void {
  const m = out.model.manifest;
  const lines = [
    `source: ${out.sourceUsed} labeled vehicles used (${out.sourceSkipped.flagged} flagged, ${out.sourceSkipped.unlabeled} unlabeled skipped)`,
    `target: ${out.targetIds.length} vehicles (${tgt.features.length - out.targetIds.length} flagged, classified but not trained on)`,
    `stage 1: alignment ${m.stage1.alignment}, MMD all ${m.stage1.mmd[0].before.toFixed(4)} -> ${m.stage1.mmd[0].after.toFixed(4)}, estimated shared share ${(100 * m.stage1.prior).toFixed(1)}%, ${m.seeds.length} seeds`,
    `stage 2: ${m.rounds.length} round(s), stop: ${m.stopReason}, M1 weight ${m.weightRf.toFixed(2)}${m.m1Scale ? ` (M1 also trained on the ${out.sourceUsed} source vehicles)` : ''}, final decision: ${learn.decisionText(m.decision)}, predicted shared ${(100 * ((m.metrics.members as { predictedSharedShare: number }[] | undefined)?.[0].predictedSharedShare ?? (m.metrics.predictedSharedShare as number))).toFixed(1)}%`,
    ...(m.members
      ? [
          `bag: ${m.members.length} runs (train seeds ${m.members.join(', ')}; the lines above are the first run's), predicted shared by each ${(m.metrics.members as { predictedSharedShare: number }[]).map((x) => `${(100 * x.predictedSharedShare).toFixed(1)}%`).join(', ')}; by the mean margin ${(100 * (m.metrics.predictedSharedShare as number)).toFixed(1)}%`,
        ]
      : []),
    ...(out.targetLabels ? [`target labels: ${out.targetLabels.used} of ${out.targetLabels.given} as seeds (${out.targetLabels.shared} shared; ${out.targetLabels.overturned} stage-1 seed(s) turned round; ${out.targetLabels.unmatched} not in the usable target)`] : []),
    `time: features ${(m.timings.features_s ?? 0).toFixed(1)} s, stage 1 ${m.timings.stage1_s.toFixed(1)} s, stage 2 ${m.timings.stage2_s.toFixed(1)} s, total ${m.timings.total_s.toFixed(1)} s`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
