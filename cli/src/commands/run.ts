import type { Command } from '../kit.js';
import { UserError, bool, str } from '../kit.js';
import { LEARN_OPTIONS } from '../learn-options.js';
import { loadInput } from '../fleet-input.js';
import { OUTPUT_OPTIONS, classifyAndWrite } from '../scored-output.js';
import { printTraining, trainFleets, trainJobOf } from './train.js';

export const command: Command = {
  name: 'run',
  summary: 'the offline job: a 7-day log -> features -> (train) -> labels, history, features and model version in the store',
  usage: 'cotrans run --input <points> --db FILE --models DIR [--source <points> --source-labels <labels.csv>] [--out predictions.csv] [options]',
  options: {
    input: { type: 'string', arg: 'PATH', help: 'GPS log of the fleet to label (file or directory; 7 days)' },
    models: { type: 'string', arg: 'DIR', help: 'model directory: with --source a new version is trained into it and made current; without, its current version labels the fleet' },
    source: { type: 'string', arg: 'PATH', multiple: true, help: 'labelled source fleet GPS log: train on it with the input as target (as cotrans train); repeatable' },
    'source-labels': { type: 'string', arg: 'FILE', multiple: true, help: 'source labels CSV, one per --source' },
    tz: { type: 'string', arg: 'Area/City', help: "fleet time zone; default: city.json next to the input, else the model's" },
    'source-tz': { type: 'string', arg: 'Area/City', help: 'time zone of the source fleet (overrides --tz)' },
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
    ...OUTPUT_OPTIONS,
    ...LEARN_OPTIONS,
    seed: { type: 'string', arg: 'N', help: 'with --source: seed of every random choice', default: '0' },
    'eval-truth': { type: 'string', arg: 'FILE', help: 'with --source: target labels for the round log only; never used to train' },
  },
  details: `Reads the log once into per-vehicle features and images (each vehicle's fixes in time order,
whatever the row order), then either trains CoTrans on --source with the input as target and
writes the model as a new current version of --models, or takes the current version of --models.
It classifies every vehicle and writes into the store (--db, created when absent; the same file
stream writes): the model version and its training summary, the latest label per vehicle, a
label history row where a label changed, and the features of each scoring (--db-images: the PNGs
too). The learning options apply with --source only.
Exit 1 on bad input (the message names the file and line or the option), or when no vehicle is usable.`,
  examples: [
    'cotrans run --input /tmp/tgt/points.csv.gz --models /tmp/models --db /tmp/cotrans.sqlite',
    'cotrans run --input /tmp/tgt/points.csv.gz --source /tmp/src/points.csv.gz --source-labels /tmp/src/labels.csv --models /tmp/models --db /tmp/cotrans.sqlite --out /tmp/predictions.csv',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const input = str(args, 'input', true);
    const models = str(args, 'models', true);
    const db = str(args, 'db', true);
    const training = args.values.source !== undefined;
    if (!training && args.values['source-labels'] !== undefined) throw new UserError('--source-labels goes with --source');
    const to = { out: str(args, 'out'), db, imagesDir: str(args, 'images'), dbImages: bool(args, 'db-images') };
    const format = (str(args, 'format') ?? 'auto') as 'auto';
    // a store that cannot be written fails now, not after training
    const { openStore } = await import('@cotrans/ingest');
    const store = openStore(db);
    try {
      learn.migrateLabels(store);
    } finally {
      store.close();
    }
    if (training) {
      const tz = await learn.resolveTz(input, str(args, 'tz'));
      const target = await loadInput(input, { tz, format, name: 'input' });
      const { out } = await trainFleets(await trainJobOf(args, input), { target, tz });
      const version = await out.model.save(models);
      printTraining(learn, out, target);
      process.stdout.write(`wrote ${models} (version ${version}, now current)\n`);
      try {
        await classifyAndWrite(out.model, version, target, to);
      } finally {
        out.model.dispose();
      }
      return;
    }
    const { model, version } = await learn.loadCurrentModel(models);
    try {
      const tz = await learn.resolveTz(input, str(args, 'tz'), '--tz', model.manifest.features.tz);
      const fleet = await loadInput(input, { tz, format, imageSize: model.manifest.features.imageSize, name: 'input' });
      await classifyAndWrite(model, version, fleet, to);
    } finally {
      model.dispose();
    }
  },
};
