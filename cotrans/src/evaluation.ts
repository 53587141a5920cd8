// Scoring a predictions file against truth labels: the report `cotrans evaluate` prints.
import { UserError } from '@cotrans/core';
import type { LabelRow, PredictionRow } from './io.js';
import { binaryReport, perStratumRecall } from './metrics.js';

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) + '%' : 'n/a');

/**
 * Markdown report: accuracy, precision, recall and F1 of 'shared', ROC AUC (from p_shared), the
 * confusion matrix, and recall per stratum when every scored vehicle has one. Every predicted
 * vehicle must be in the truth, and there must be predictions (UserError naming the file otherwise).
 */
export function evaluationReport(all: readonly PredictionRow[], truth: readonly LabelRow[], names: { pred: string; truth: string }, opts: { subset?: string } = {}): string {
  const tmap = new Map(truth.map((t) => [t.vehicleId, t]));
  const unknown = all.filter((p) => !tmap.has(p.vehicleId));
  if (unknown.length && !opts.subset) throw new UserError(`${names.pred}: ${unknown.length} predicted vehicle(s) are not in ${names.truth}, e.g. '${unknown[0].vehicleId}'`, { file: names.pred });
  // a subset truth (`subset` names what a vehicle of it has, e.g. 'a review'): only the predictions it covers are scored
  const preds = opts.subset ? all.filter((p) => tmap.has(p.vehicleId)) : all;
  if (!preds.length) throw new UserError(opts.subset ? `${names.pred}: none of the ${truth.length} vehicle(s) of ${names.truth} has a prediction` : `${names.pred}: no predictions`, { file: names.pred });
  const predicted = new Set(preds.map((p) => p.vehicleId));
  const unscored = truth.filter((t) => !predicted.has(t.vehicleId)).length;
  const y = preds.map((p) => tmap.get(p.vehicleId)!.shared);
  const yhat = preds.map((p) => p.shared);
  const scores = preds.every((p) => Number.isFinite(p.pShared)) ? preds.map((p) => p.pShared) : undefined;
  const r = binaryReport(y, yhat, scores);
  const lines = [
    `# Evaluation of ${names.pred}`,
    '',
    `${r.n} vehicles scored against ${names.truth}${unscored ? ` (${unscored} truth vehicles have no prediction)` : ''}${opts.subset ? `; ${unknown.length} predicted vehicle(s) without ${opts.subset} left out` : ''}.`,
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
  if (preds.every((p) => tmap.get(p.vehicleId)!.stratum)) {
    const ps = perStratumRecall(y, yhat, preds.map((p) => tmap.get(p.vehicleId)!.stratum!));
    lines.push('', '| stratum | true label | vehicles | recall |', '|---|---|---|---|', ...Object.entries(ps).map(([k, v]) => `| ${k} | ${v.truth} | ${v.n} | ${pct(v.recall)} |`));
  }
  return lines.join('\n') + '\n';
}
