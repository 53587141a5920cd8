import type { Command } from '../kit.js';
import { str } from '../kit.js';
import { progress } from '../progress.js';

export const command: Command = {
  name: 'classify',
  summary: 'label every vehicle of a GPS log with a trained model directory',
  usage: 'cotrans classify --models DIR --input <points> --out predictions.csv [--tz Area/City]',
  options: {
    models: { type: 'string', arg: 'DIR', help: 'model directory written by cotrans train' },
    input: { type: 'string', arg: 'PATH', help: 'GPS log to classify (file or directory)' },
    out: { type: 'string', arg: 'FILE', help: 'predictions CSV to write' },
    tz: { type: 'string', arg: 'Area/City', help: "fleet time zone; default: city.json next to the input, else the model's" },
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
  },
  details: `Writes vehicle_id,label,p_shared,p_rf,p_cnn,flags for every vehicle of the input, flagged
ones too (flags say why their features are weak, e.g. too_few_points). p_shared is the ensemble
of p_rf (M1) and p_cnn (M2) with the weight chosen at training; label = shared when p_shared >= 0.5.
Exit 1 when the model directory is missing or from an incompatible version.`,
  examples: ['cotrans classify --models /tmp/models --input /tmp/tgt/points.csv.gz --out predictions.csv'],
  async run(args) {
    const learn = await import('@cotrans/learn');
    const models = str(args, 'models', true);
    const input = str(args, 'input', true);
    const out = str(args, 'out', true);
    const model = await learn.CoTransModel.load(models);
    let tz: string;
    try {
      tz = await learn.resolveTz(input, str(args, 'tz'));
    } catch {
      tz = model.manifest.features.tz;
    }
    const bar = progress('features');
    const fleet = await learn.loadFleet(input, { tz, format: (str(args, 'format') ?? 'auto') as 'auto', imageSize: model.manifest.features.imageSize, onProgress: (n) => bar.update(n) });
    bar.done({ vehicles: fleet.features.length });
    const rows = await model.classify(fleet.features, fleet.images);
    await learn.writePredictions(out, rows);
    const shared = rows.filter((r) => r.shared).length;
    const flagged = rows.filter((r) => r.flags.length).length;
    process.stdout.write(`classified ${rows.length} vehicles: ${shared} shared, ${rows.length - shared} private (${flagged} flagged); wrote ${out}\n`);
    model.dispose();
  },
};
