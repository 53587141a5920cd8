import type { Command } from '../kit.js';
import { existsSync } from 'node:fs';
import { UserError, bool, str } from '../kit.js';
import { loadInput } from '../fleet-input.js';
import { OUTPUT_OPTIONS, classifyAndWrite, type OutputTargets } from '../scored-output.js';
import type { LogFormat } from '@cotrans/ingest';

export const command: Command = {
  name: 'classify',
  summary: 'label every vehicle of a GPS log with a trained model directory',
  usage: 'cotrans classify --models DIR (--input <points> | --windows STATE.sqlite) (--out predictions.csv | --db FILE) [--tz Area/City] [--images DIR]',
  options: {
    models: { type: 'string', arg: 'DIR', help: 'model directory written by cotrans train (its current version is used)' },
    input: { type: 'string', arg: 'PATH', help: 'GPS log to classify (file or directory): offline replay' },
    windows: { type: 'string', arg: 'FILE', help: 'window state written by `cotrans consume --windows` instead of a log: streaming classification' },
    ...OUTPUT_OPTIONS,
    tz: { type: 'string', arg: 'Area/City', help: "fleet time zone; default: city.json next to the input, else the model's" },
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
  },
  details: `Writes vehicle_id,label,p_shared,p_rf,p_cnn,flags,model_version,scored_at for every vehicle of
the input, flagged ones too (flags say why their features are weak, e.g. too_few_points). With --windows, the
vehicles are those of a streaming state (cotrans consume --windows): the same features and images
as a batch pass over the same points. p_shared combines M1's (RF) and M2's (CNN) log-odds with
the weight chosen at training, less the cut training found on the target (by default Otsu's
threshold of the combined log-odds, --decision of train); p_rf and p_cnn are each model's own
log-odds under that cut. label = shared when p_shared >= 0.5. With --db the same rows go into the
store: the latest label per vehicle, a history row where a label changed, the features per scoring
and the model version's summary.
Exit 1 when the model directory is missing or from an incompatible version.`,
  examples: [
    'cotrans classify --models /tmp/models --input /tmp/tgt/points.csv.gz --out predictions.csv',
    'cotrans classify --models /tmp/models --windows /tmp/windows.sqlite --out predictions.csv --images /tmp/images',
    'cotrans classify --models /tmp/models --input /tmp/tgt/points.csv.gz --db /tmp/cotrans.sqlite --out predictions.csv',
  ],
  async run(args) {
    const input = str(args, 'input');
    const windows = str(args, 'windows');
    if (!input === !windows) throw new UserError('give exactly one of --input (a GPS log) or --windows (a consume --windows state file)');
    const tz = str(args, 'tz');
    await classifyInto({
      models: str(args, 'models', true),
      ...(input ? { input } : { windows: windows! }),
      ...(tz ? { tz } : {}),
      format: (str(args, 'format') ?? 'auto') as LogFormat,
      to: { out: str(args, 'out'), db: str(args, 'db'), imagesDir: str(args, 'images'), dbImages: bool(args, 'db-images') },
    });
  },
};

/** What `classify` reads and writes, typed: a GPS log or a window store in, predictions CSV, PNGs and the store out. */
export type ClassifyJob = { models: string; tz?: string; format?: LogFormat; to: OutputTargets } & ({ input: string; windows?: undefined } | { windows: string; input?: undefined });

/** Labels every vehicle of the job's input with the current model version and writes the outputs. */
export async function classifyInto(job: ClassifyJob): Promise<void> {
  const learn = await import('@cotrans/cotrans');
  const { models, input, windows, to } = job;
  if (!to.out && !to.db) throw new UserError('give --out (a predictions CSV), --db (a store), or both');
  if (to.dbImages && !to.db) throw new UserError('--db-images stores PNGs in --db: give --db FILE too');
  const { model, version } = await learn.loadCurrentModel(models);
  try {
    const imageSize = model.manifest.features.imageSize;
    let fleet: import('@cotrans/cotrans').ScoredFleet;
    if (windows !== undefined) {
      if (!existsSync(windows)) throw new UserError(`--windows ${windows}: no such file (write it with cotrans consume --windows)`);
      const { SqliteWindowStore } = await import('@cotrans/features');
      const store = new SqliteWindowStore(windows, undefined, 'read');
      try {
        if (store.opts.imageSize !== imageSize) throw new UserError(`--windows ${windows}: images are ${store.opts.imageSize}px, the model expects ${imageSize}px (consume with --image-size ${imageSize})`);
        fleet = store.results({ keepImages: true });
        if (!fleet.features.length) throw new UserError(`--windows ${windows}: the window store holds no vehicle yet`);
      } finally {
        store.close();
      }
    } else {
      const tz = await learn.resolveTz(input, job.tz, '--tz', model.manifest.features.tz);
      fleet = await loadInput(input, { tz, format: job.format ?? 'auto', imageSize, name: 'features', label: false });
    }
    await classifyAndWrite(model, version, fleet, to);
  } finally {
    model.dispose();
  }
}
