import type { Command } from '../kit.js';
import { existsSync } from 'node:fs';
import { UserError, str } from '../kit.js';
import { progress } from '../progress.js';

export const command: Command = {
  name: 'classify',
  summary: 'label every vehicle of a GPS log with a trained model directory',
  usage: 'cotrans classify --models DIR (--input <points> | --windows STATE.sqlite) --out predictions.csv [--tz Area/City] [--images DIR]',
  options: {
    models: { type: 'string', arg: 'DIR', help: 'model directory written by cotrans train' },
    input: { type: 'string', arg: 'PATH', help: 'GPS log to classify (file or directory): offline replay' },
    windows: { type: 'string', arg: 'FILE', help: 'window state written by `cotrans consume --windows` instead of a log: streaming classification' },
    images: { type: 'string', arg: 'DIR', help: 'also write each vehicle\'s trajectory PNGs here (for the dashboard)' },
    out: { type: 'string', arg: 'FILE', help: 'predictions CSV to write' },
    tz: { type: 'string', arg: 'Area/City', help: "fleet time zone; default: city.json next to the input, else the model's" },
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
  },
  details: `Writes vehicle_id,label,p_shared,p_rf,p_cnn,flags for every vehicle of the input, flagged
ones too (flags say why their features are weak, e.g. too_few_points). With --windows, the
vehicles are those of a streaming state (cotrans consume --windows): the same features and images
as a batch pass over the same points. p_shared combines M1's (RF) and M2's (CNN) log-odds with
the weight chosen at training, less the cut training found (the density valley above the private
mode of the target); p_rf and p_cnn are each model's own log-odds under that cut. label = shared
when p_shared >= 0.5.
Exit 1 when the model directory is missing or from an incompatible version.`,
  examples: [
    'cotrans classify --models /tmp/models --input /tmp/tgt/points.csv.gz --out predictions.csv',
    'cotrans classify --models /tmp/models --windows /tmp/windows.sqlite --out predictions.csv --images /tmp/images',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const models = str(args, 'models', true);
    const input = str(args, 'input');
    const windows = str(args, 'windows');
    if (!input === !windows) throw new UserError('give exactly one of --input (a GPS log) or --windows (a consume --windows state file)');
    const out = str(args, 'out', true);
    const model = await learn.loadModel(models);
    const imageSize = model.manifest.features.imageSize;
    let fleet: { features: import('@cotrans/features').VehicleFeatures[]; images: Map<string, import('@cotrans/features').VehicleImages> };
    if (windows) {
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
      const tz = await learn.resolveTz(input!, str(args, 'tz'), '--tz', model.manifest.features.tz);
      const bar = progress('features');
      const ingest = await import('@cotrans/ingest');
      const loaded = await learn.loadFleet(input!, { tz, format: (str(args, 'format') ?? 'auto') as 'auto', imageSize, onProgress: (n) => bar.update(n) });
      bar.done({ vehicles: loaded.features.length, ...ingest.summaryRecord(loaded.read) });
      process.stdout.write(ingest.summaryLines(loaded.read).join('\n') + '\n');
      if (!loaded.features.length) throw ingest.nothingUsable(input!, loaded.read);
      fleet = loaded;
    }
    const imagesDir = str(args, 'images');
    if (imagesDir) {
      const { writeVehiclePngs } = await import('@cotrans/features');
      for (const img of fleet.images.values()) await writeVehiclePngs(img, imagesDir);
    }
    const rows = await model.classify(fleet.features, fleet.images);
    await learn.writePredictions(out, rows);
    const shared = rows.filter((r) => r.shared).length;
    const flagged = rows.filter((r) => r.flags.length).length;
    process.stdout.write(`classified ${rows.length} vehicles: ${shared} shared, ${rows.length - shared} private (${flagged} flagged); wrote ${out}\n`);
    model.dispose();
  },
};
