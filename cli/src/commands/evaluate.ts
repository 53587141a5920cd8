import { writeFile } from 'node:fs/promises';
import type { Command } from '../kit.js';
import { str } from '../kit.js';

export const command: Command = {
  name: 'evaluate',
  summary: 'score predictions against truth labels',
  usage: 'cotrans evaluate --pred predictions.csv --truth labels.csv [--out report.md]',
  options: {
    pred: { type: 'string', arg: 'FILE', help: 'predictions CSV (vehicle_id,label,p_shared,...)' },
    truth: { type: 'string', arg: 'FILE', help: 'truth labels CSV: vehicle_id,label[,stratum]' },
    out: { type: 'string', arg: 'FILE', help: 'report.md to write' },
  },
  details: `Accuracy, precision, recall and F1 of 'shared', ROC AUC (from p_shared), the confusion
matrix, and recall per stratum when the truth has a stratum column. Every predicted vehicle must
be in the truth (exit 1 otherwise); truth vehicles without a prediction are reported.
The experiment table has its own command: \`cotrans experiment\` (\`cotrans evaluate --experiment ...\`
is an alias of it).`,
  examples: ['cotrans evaluate --pred predictions.csv --truth /tmp/tgt/labels.csv --out report.md'],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const predPath = str(args, 'pred', true);
    const truthPath = str(args, 'truth', true);
    const md = learn.evaluationReport(await learn.readPredictions(predPath), await learn.readLabels(truthPath), { pred: predPath, truth: truthPath });
    const out = str(args, 'out');
    if (out) await writeFile(out, md);
    process.stdout.write(md + (out ? `wrote ${out}\n` : ''));
  },
};
