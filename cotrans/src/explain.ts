// Why M1 (the random forest) scored a vehicle as it did: tree path attribution (Saabas). Along the
// path a row takes through a tree, each split moves P(shared) from the node's value to the child's;
// that move is credited to the split's feature. The tree's bias (the root's value) plus every
// credit is the leaf's value exactly, so the forest's bias plus the mean credits is its P(shared).
import type { RandomForestClassifier } from './rf/forest.js';
import type { CoTransBag, CoTransModel } from './model.js';
import { standardise } from './align.js';
import { logit } from './maths.js';
import type { VehicleImageSet } from './cnn/images.js';

export interface PathAttribution {
  /** Mean root value of the trees: P(shared) before any split. */
  bias: number;
  /** Per feature (column order of the row): mean change of P(shared) along the paths. */
  contributions: number[];
  /** bias + the sum of contributions: the forest's P(shared) for the row. */
  p: number;
}

/** Tree path attribution of one row for class `cls` (NaN goes left, as at fit). */
export function pathAttribution(rf: RandomForestClassifier, x: ArrayLike<number>, cls: string | number = 'shared'): PathAttribution {
  const K = rf.classes.length;
  const k = rf.classes.indexOf(cls as never);
  const contributions = new Array<number>(x.length).fill(0);
  let bias = 0;
  if (k < 0) return { bias: 0, contributions, p: 0 };
  for (const t of rf.trees) {
    let node = 0;
    bias += t.value[k];
    while (t.feature[node] >= 0) {
      const f = t.feature[node];
      const v = x[f];
      const next = v > t.threshold[node] ? t.right[node] : t.left[node];
      contributions[f] += t.value[next * K + k] - t.value[node * K + k];
      node = next;
    }
  }
  const n = rf.trees.length || 1;
  const c = contributions.map((v) => v / n);
  return { bias: bias / n, contributions: c, p: bias / n + c.reduce((a, b) => a + b, 0) };
}

export interface VehicleExplanation {
  /** M1's columns, each with the vehicle's value and its credit towards P(shared), largest |credit| first. */
  features: { column: string; value: number; contribution: number }[];
  /** M1's raw P(shared) (before the cut) and its bias; a bag's are the means over its members. */
  pRf: number;
  bias: number;
  members: number;
  /** The ensemble: z = weightRf · logit(pRf) + (1 − weightRf) · logit(pCnn), labelled shared when z > threshold. */
  ensemble: { combine: string; weightRf: number; threshold: number; rule: string; zRf: number };
}

/**
 * M2's side: the day CNN's P(shared) for each day of a vehicle (a bag's: the mean over members), and
 * the days its vehicle score reads (the `topDays` best with dayScore 'top', else every day).
 */
export async function cnnDayScores(model: CoTransModel | CoTransBag, images: VehicleImageSet): Promise<{ days: { day: string; p: number; counted: boolean }[]; dayScore: string; topDays: number }> {
  const members = 'members' in model && Array.isArray(model.members) ? (model as CoTransBag).members : [model as CoTransModel];
  const runs = await Promise.all(members.map((m) => m.m2.dayScores(images)));
  const p = images.dayKeys.map((_, i) => runs.reduce((s, r) => s + (r[i] ?? NaN), 0) / runs.length);
  const o = members[0].m2.options;
  const counted = new Set(o.dayScore === 'top' ? p.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]).slice(0, o.topDays).map(([, i]) => i) : p.map((_, i) => i));
  return { days: images.dayKeys.map((day, i) => ({ day, p: p[i], counted: counted.has(i) })).filter((d) => Number.isFinite(d.p)), dayScore: o.dayScore, topDays: o.topDays };
}

function explainOne(m: CoTransModel, features: Record<string, number>): { a: PathAttribution; columns: string[]; raw: number[] } {
  const columns = m.manifest.columns.full;
  const raw = columns.map((c) => features[c] ?? NaN);
  const x = m.manifest.m1Scale ? standardise([raw], m.manifest.m1Scale)[0] : raw;
  return { a: pathAttribution(m.m1, x), columns, raw };
}

/** Why the model scored a vehicle with these features (by column) as it did, on M1's side. */
export function explainVehicle(model: CoTransModel | CoTransBag, features: Record<string, number>): VehicleExplanation {
  const members = 'members' in model && Array.isArray(model.members) ? (model as CoTransBag).members : [model as CoTransModel];
  const runs = members.map((m) => explainOne(m, features));
  const { columns, raw } = runs[0];
  const mean = (get: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + get(r), 0) / runs.length;
  const d = members[0].manifest.decision;
  const pRf = mean((r) => r.a.p);
  return {
    features: columns
      .map((column, i) => ({ column, value: raw[i], contribution: mean((r) => r.a.contributions[i]) }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)),
    pRf,
    bias: mean((r) => r.a.bias),
    members: members.length,
    ensemble: d.combine === 'logit'
      ? { combine: d.combine, weightRf: members[0].manifest.weightRf, threshold: d.threshold, rule: d.rule, zRf: logit(pRf, d.clipRf) }
      : { combine: d.combine, weightRf: members[0].manifest.weightRf, threshold: 0.5, rule: d.rule, zRf: pRf },
  };
}
