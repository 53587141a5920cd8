import { writeFile } from 'node:fs/promises';
import type { Command } from '../kit.js';
import { readCity } from '@cotrans/core';
import { UserError, bool, list, num, str } from '../kit.js';
import { progress } from '../progress.js';
import { LEARN_OPTIONS, learnOptions, onOff } from '../learn-options.js';

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) + '%' : 'n/a');

export const command: Command = {
  name: 'evaluate',
  summary: 'score predictions against truth, or run the full experiment table',
  usage: 'cotrans evaluate --pred predictions.csv --truth labels.csv [--out report.md]\n       cotrans evaluate --experiment --source <points> --source-labels <csv> --target <points> --truth <csv> --out DIR',
  options: {
    pred: { type: 'string', arg: 'FILE', help: 'predictions CSV (vehicle_id,label,p_shared,...)' },
    truth: { type: 'string', arg: 'FILE', help: 'truth labels CSV: vehicle_id,label[,stratum]' },
    out: { type: 'string', arg: 'PATH', help: 'report.md to write (scoring), or the output directory (experiment)' },
    experiment: { type: 'boolean', help: 'run source-only RF, CNN on seeds, CoTrans (and each run of its bag) and the supervised upper bound' },
    source: { type: 'string', arg: 'PATH', multiple: true, help: 'experiment: labeled source fleet GPS log; give it again for another source, each with its own --source-labels' },
    'source-labels': { type: 'string', arg: 'FILE', multiple: true, help: 'experiment: source labels CSV, one per --source, in the same order' },
    target: { type: 'string', arg: 'PATH', help: 'experiment: target fleet GPS log' },
    tz: { type: 'string', arg: 'Area/City', help: 'experiment: time zone of both fleets (default: city.json next to each)' },
    folds: { type: 'string', arg: 'K', help: 'experiment: folds of the supervised upper bound', default: '5' },
    ...Object.fromEntries(Object.entries(LEARN_OPTIONS).map(([k, v]) => [k, { ...v, help: `experiment: ${v.help}` }])),
    seed: { type: 'string', arg: 'N', help: 'experiment: seed', default: '0' },
    real: { type: 'string', arg: 'PATH', help: 'experiment: real shared vehicles (e.g. a Cabspotting week) to place into the target pool; their recall is reported' },
    'real-tz': { type: 'string', arg: 'Area/City', help: 'experiment: time zone of --real (e.g. America/Los_Angeles)' },
    'real-format': { type: 'string', arg: 'FORMAT', help: 'experiment: format of --real', default: 'auto' },
    'deep-transfer': { type: 'string', arg: 'on|off', help: 'experiment: rows for a CNN on the source images, plain, with an MMD penalty (DDC/DAN) and with a gradient-reversal domain classifier (DANN) against the target images', default: 'on' },
  },
  details: `Scoring: accuracy, precision, recall and F1 of 'shared', ROC AUC (from p_shared), the
confusion matrix, and recall per stratum when the truth has a stratum column. Every predicted
vehicle must be in the truth (exit 1 otherwise); truth vehicles without a prediction are reported.
Experiment: one run on the same data writes DIR/experiment.md (table), DIR/experiment.json,
DIR/roc.png and DIR/confidence.png (accuracy of the target ranked by confidence). With --members
above 1 the table also scores each run of CoTrans's bag on its own, after the bag's row.`,
  examples: [
    'cotrans evaluate --pred predictions.csv --truth /tmp/tgt/labels.csv --out report.md',
    'cotrans evaluate --experiment --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --truth /tmp/tgt/labels.csv --out /tmp/exp',
    'cotrans evaluate --experiment --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --target /tmp/tgt/points.csv.gz --truth /tmp/tgt/labels.csv --out /tmp/exp-1 --members 1',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    if (bool(args, 'experiment')) {
      const sources = list(args, 'source');
      const labelPaths = list(args, 'source-labels');
      if (labelPaths.length !== sources.length) throw new UserError(`--source given ${sources.length} time(s) but --source-labels ${labelPaths.length}: one labels file per source, in the same order`);
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
        const features = await import('@cotrans/features');
        const days = [...tgt.images.values()].flatMap((im) => im.dayKeys).sort();
        if (!days.length) throw new UserError(`${target}: no active day in the target pool to place --real into`);
        const centre = (await readCity(target))?.centre ?? null;
        const moved = await learn.placeFleet(ingest.readPoints(realPath, { format: (str(args, 'real-format') ?? 'auto') as 'auto' }), { fromTz: realTz, toTz: tgt.tz, toFirstDay: days[0], toCentre: centre, idPrefix: 'real:' });
        if (!moved.points.length) throw new UserError(`${realPath}: no points`);
        moved.points.sort((a, b) => a.ts - b.ts);
        const fr = await features.computeFleet([moved.points], { tz: tgt.tz });
        tgt.features.push(...fr.features);
        for (const [k, v] of fr.images) tgt.images.set(k, v);
        placedIds = moved.vehicles;
        for (const id of placedIds) truth.push({ vehicleId: id, shared: true, stratum: 'real-taxi' });
        process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'experiment', stage: 'placed', vehicles: placedIds.length, points: moved.points.length, firstDay: days[0] }) + '\n');
      }
      const res = await learn.runExperiment(
        { source: src, sourceLabels: labels, target: tgt, truth, tz: tgt.tz, placedIds },
        {
          seed: num(args, 'seed', { def: 0, integer: true, min: 0 }),
          folds: num(args, 'folds', { def: 5, integer: true, min: 2, max: 20 }),
          deepTransfer: onOff(args, 'deep-transfer'),
          ...learnOpts,
          onStage: (stage, d) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'experiment', stage, ...d }) + '\n'),
          onRound: (r) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), task: 'cotrain', round: r.round, agreement: r.agreement, kappa: r.kappa, seconds: r.seconds }) + '\n'),
        },
      );
      const files = await learn.writeExperiment(res, out);
      const md = learn.experimentMarkdown(res);
      const placed = md.split('\n## ').find((sct) => sct.startsWith('Placed'));
      process.stdout.write(md.split('\n## ')[0] + (placed ? `\n## ${placed}` : '') + `\nwrote ${files.join(', ')}\n`);
      res.train.model.dispose();
      return;
    }
    const predPath = str(args, 'pred', true);
    const truthPath = str(args, 'truth', true);
    const preds = await learn.readPredictions(predPath);
    const truth = await learn.readLabels(truthPath);
    const tmap = new Map(truth.map((t) => [t.vehicleId, t]));
    const unknown = preds.filter((p) => !tmap.has(p.vehicleId));
    if (unknown.length) throw new UserError(`${predPath}: ${unknown.length} predicted vehicle(s) are not in ${truthPath}, e.g. '${unknown[0].vehicleId}'`);
    if (!preds.length) throw new UserError(`${predPath}: no predictions`);
    const predicted = new Set(preds.map((p) => p.vehicleId));
    const unscored = truth.filter((t) => !predicted.has(t.vehicleId)).length;
    const y = preds.map((p) => tmap.get(p.vehicleId)!.shared);
    const yhat = preds.map((p) => p.shared);
    const scores = preds.every((p) => Number.isFinite(p.pShared)) ? preds.map((p) => p.pShared) : undefined;
    const r = learn.binaryReport(y, yhat, scores);
    const hasStrata = preds.every((p) => tmap.get(p.vehicleId)!.stratum);
    const lines = [
      `# Evaluation of ${predPath}`,
      '',
      `${r.n} vehicles scored against ${truthPath}${unscored ? ` (${unscored} truth vehicles have no prediction)` : ''}.`,
      '',
      '| metric | value |',
      '|---|---|',
      `| accuracy | ${pct(r.accuracy)} |`,
      `| precision (shared) | ${pct(r.precision)} |`,
      `| recall (shared) | ${pct(r.recall)} |`,
      `| F1 (shared) | ${pct(r.f1)} |`,
      `| ROC AUC | ${scores ? pct(r.rocAuc) : 'n/a (no p_shared)'} |`,
      '',
      '| | predicted shared | predicted private |',
      '|---|---|---|',
      `| truly shared | ${r.confusion.tp} | ${r.confusion.fn} |`,
      `| truly private | ${r.confusion.fp} | ${r.confusion.tn} |`,
    ];
    if (hasStrata) {
      const ps = learn.perStratumRecall(y, yhat, preds.map((p) => tmap.get(p.vehicleId)!.stratum!));
      lines.push('', '| stratum | true label | vehicles | recall |', '|---|---|---|---|', ...Object.entries(ps).map(([k, v]) => `| ${k} | ${v.truth} | ${v.n} | ${pct(v.recall)} |`));
    }
    const md = lines.join('\n') + '\n';
    const out = str(args, 'out');
    if (out) await writeFile(out, md);
    process.stdout.write(md + (out ? `wrote ${out}\n` : ''));
  },
};
