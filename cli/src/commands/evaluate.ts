import { writeFile } from 'node:fs/promises';
import type { Command } from '../kit.js';
import { UserError, bool, str } from '../kit.js';

/** The store's latest labels as predictions (read-only; a store without labels is named). */
async function storeLabels(path: string) {
  const learn = await import('@cotrans/cotrans');
  const { checkSchema, openStore } = await import('@cotrans/ingest');
  const db = openStore(path, { readonly: true });
  try {
    checkSchema(db, learn.LABELS_COMPONENT, learn.LABEL_MIGRATIONS);
    return learn.latestLabels(db).map((l) => ({ vehicleId: l.vehicleId, shared: l.label === 'shared', pShared: l.pShared, pRf: l.pRf, pCnn: l.pCnn, flags: l.flags }));
  } finally {
    db.close();
  }
}

export const command: Command = {
  name: 'evaluate',
  summary: 'score predictions against truth labels, or against the reviewers\' verdicts',
  usage: 'cotrans evaluate --pred predictions.csv --truth labels.csv [--out report.md]\n       cotrans evaluate --reviewed --db FILE [--pred predictions.csv] [--out report.md]',
  options: {
    pred: { type: 'string', arg: 'FILE', help: 'predictions CSV (vehicle_id,label,p_shared,...)' },
    truth: { type: 'string', arg: 'FILE', help: 'truth labels CSV: vehicle_id,label[,stratum]' },
    reviewed: { type: 'boolean', help: "score on the reviewed vehicles alone: the truth is each one's latest shared/private verdict in --db; predictions are --pred, or the store's latest labels" },
    db: { type: 'string', arg: 'FILE', help: 'with --reviewed: the store holding the reviews (opened read-only)' },
    out: { type: 'string', arg: 'FILE', help: 'report.md to write' },
  },
  details: `Accuracy, precision, recall and F1 of 'shared', ROC AUC (from p_shared), the confusion
matrix, and recall per stratum when the truth has a stratum column. Every predicted vehicle must
be in the truth (exit 1 otherwise); truth vehicles without a prediction are reported.
--reviewed: the truth is the reviewers' latest decided verdicts ('unsure' left out), a subset of
the fleet: only the reviewed vehicles are scored, the others are counted and left out.
The experiment table has its own command: \`cotrans experiment\` (\`cotrans evaluate --experiment ...\`
is an alias of it).`,
  examples: [
    'cotrans evaluate --pred predictions.csv --truth /tmp/tgt/labels.csv --out report.md',
    'cotrans evaluate --reviewed --db out/cotrans.sqlite',
    'cotrans evaluate --reviewed --db out/cotrans.sqlite --pred out/predictions.csv --out reviewed.md',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const reviewed = bool(args, 'reviewed');
    const db = str(args, 'db');
    if (reviewed && !db) throw new UserError('--reviewed needs --db FILE (the store holding the reviews)');
    if (reviewed && str(args, 'truth')) throw new UserError('--reviewed and --truth: the reviews are the truth; give one of them');
    if (db && !reviewed) throw new UserError('--db goes with --reviewed');
    let md: string;
    if (reviewed) {
      const truth = (await import('@cotrans/dashboard')).readReviewedLabels(db!);
      if (!truth.length) throw new UserError(`${db}: no shared or private verdict to score against`);
      const pred = str(args, 'pred');
      const preds = pred ? await learn.readPredictions(pred) : await storeLabels(db!);
      md = learn.evaluationReport(preds, truth, { pred: pred ?? `${db} (latest labels)`, truth: `the reviews in ${db}` }, { subset: 'a review' });
    } else {
      const predPath = str(args, 'pred', true);
      const truthPath = str(args, 'truth', true);
      md = learn.evaluationReport(await learn.readPredictions(predPath), await learn.readLabels(truthPath), { pred: predPath, truth: truthPath });
    }
    const out = str(args, 'out');
    if (out) await writeFile(out, md);
    process.stdout.write(md + (out ? `wrote ${out}\n` : ''));
  },
};
