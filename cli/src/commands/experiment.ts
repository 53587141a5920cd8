import type { Command } from '../kit.js';
import { readCity } from '@cotrans/core';
import { UserError, num, str } from '../kit.js';
import { progress } from '../progress.js';
import { FLEET_OPTIONS, LEARN_OPTIONS, learnOptions, onOff, sourcePairs } from '../learn-options.js';

export const command: Command = {
  name: 'experiment',
  summary: 'run the experiment table: source-only RF, CNN on seeds, CoTrans and the supervised bound',
  usage: 'cotrans experiment --source <points> --source-labels <csv> --target <points> --truth <csv> --out DIR',
  options: {
    ...FLEET_OPTIONS,
    truth: { type: 'string', arg: 'FILE', help: 'target truth labels CSV: vehicle_id,label[,stratum] (for scoring and the upper bound only)' },
    out: { type: 'string', arg: 'DIR', help: 'output directory' },
    folds: { type: 'string', arg: 'K', help: 'folds of the supervised upper bound', default: '5' },
    ...LEARN_OPTIONS,
    seed: { type: 'string', arg: 'N', help: 'seed', default: '0' },
    real: { type: 'string', arg: 'PATH', help: 'real shared vehicles (e.g. a Cabspotting week) to place into the target pool; their recall is reported' },
    'real-tz': { type: 'string', arg: 'Area/City', help: 'time zone of --real (e.g. America/Los_Angeles)' },
    'real-format': { type: 'string', arg: 'FORMAT', help: 'format of --real', default: 'auto' },
    'deep-transfer': { type: 'string', arg: 'on|off', help: 'rows for a CNN on the source images, plain, with an MMD penalty (DDC/DAN) and with a gradient-reversal domain classifier (DANN) against the target images', default: 'on' },
  },
  details: `One run on the same data writes DIR/experiment.md (table), DIR/experiment.json, DIR/roc.png,
DIR/confidence.png (accuracy of the target ranked by confidence) and DIR/scores.csv (each vehicle's
truth, stratum and score by every method). The learning options are train's, so the CoTrans row
measures what train would build. With --members above 1 the table also scores each run of
CoTrans's bag on its own, after the bag's row. After training, the CNN rows and the supervised
folds' CNNs train at once on worker threads (--jobs, default the machine's cores); their scores
are the same with any --jobs.
\`cotrans evaluate --experiment ...\` is an alias of \`cotrans experiment ...\`.`,
  examples: [
    'cotrans experiment --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --truth /tmp/tgt/labels.csv --out /tmp/exp',
    'cotrans experiment --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --truth /tmp/tgt/labels.csv --out /tmp/exp-1 --members 1',
    'cotrans experiment --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --truth /tmp/tgt/labels.csv --out /tmp/exp-2 --jobs 1   # everything in the main thread, one fit after the other: less memory, more time',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const { sources, labelPaths } = sourcePairs(args);
    const target = str(args, 'target', true);
    const out = str(args, 'out', true);
    const learnOpts = learnOptions(args);
    const truth = await learn.readLabels(str(args, 'truth', true));
    const tz = str(args, 'tz');
    const load = async (p: string, name: string) => {
      const bar = progress(`features ${name}`);
      const f = await learn.loadFleet(p, { tz: await learn.resolveTz(p, tz), onProgress: (n) => bar.update(n) });
      bar.done({ vehicles: f.features.length });
      return f;
    };
    const parts = [];
    for (const [i, source] of sources.entries()) parts.push({ fleet: await load(source, sources.length > 1 ? `source ${i + 1}` : 'source'), labels: await learn.readLabels(labelPaths[i]), name: source });
    const { fleet: src, labels } = learn.mergeSources(parts);
    const tgt = await load(target, 'target');
    let placedIds: string[] | undefined;
    const realPath = str(args, 'real');
    if (realPath) {
      const realTz = str(args, 'real-tz');
      if (!realTz) throw new UserError('--real needs --real-tz (the time zone the real vehicles were recorded in)');
      const ingest = await import('@cotrans/ingest');
      const centre = (await readCity(target))?.centre ?? null;
      const placed = await learn.placeRealVehicles(tgt, ingest.readPoints(realPath, { format: (str(args, 'real-format') ?? 'auto') as 'auto' }), { fromTz: realTz, centre, truth, what: realPath });
      placedIds = placed.vehicles;
      process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'experiment', stage: 'placed', vehicles: placed.vehicles.length, points: placed.points, firstDay: placed.firstDay }) + '\n');
    }
    const res = await learn.runExperiment(
      { source: src, sourceLabels: labels, target: tgt, truth, tz: tgt.tz, placedIds },
      {
        seed: num(args, 'seed', { def: 0, integer: true, min: 0 }),
        folds: num(args, 'folds', { def: 5, integer: true, min: 2, max: 20 }),
        deepTransfer: onOff(args, 'deep-transfer'),
        ...learnOpts,
        onStage: (stage, d) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'experiment', stage, ...d }) + '\n'),
        onRound: (r, seed) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'cotrain', seed, round: r.round, agreement: r.agreement, kappa: r.kappa, cnnFitVehicles: r.cnnFitVehicles, seconds: r.seconds }) + '\n'),
      },
    );
    const files = await learn.writeExperiment(res, out);
    const md = learn.experimentMarkdown(res);
    const placed = md.split('\n## ').find((sct) => sct.startsWith('Placed'));
    process.stdout.write(md.split('\n## ')[0] + (placed ? `\n## ${placed}` : '') + `\nwrote ${files.join(', ')}\n`);
    res.train.model.dispose();
  },
};
