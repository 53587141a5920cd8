import { readLabels, readPredictions as readPredictionRows } from '@cotrans/features';

/** One vehicle as the dashboard shows it: a row of predictions.csv (`cotrans classify`). */
export interface Prediction {
  vehicleId: string;
  label: 'shared' | 'private';
  pShared: number;
  pRf: number | null;
  pCnn: number | null;
  flags: string[];
  /** Optional evaluation truth joined in by the server when a labels file is given. */
  truth?: string;
  stratum?: string;
  /** From the store: the model version and time of the latest scoring, the window's end (epoch ms). */
  modelVersion?: string;
  scoredAt?: number;
  windowEnd?: number;
  /** From the store: scored by an older model version than the current one, or a day or more before the fleet's newest scoring. */
  stale?: boolean;
  /** From the store: how often the label changed between shared and private across scorings. */
  flips?: number;
}

const orNull = (v: number) => (Number.isFinite(v) ? v : null);

/** Reads predictions.csv with the features stage's reader (errors name file:line and the field). */
export async function readPredictions(path: string): Promise<Prediction[]> {
  return (await readPredictionRows(path)).map((r) => ({
    vehicleId: r.vehicleId,
    label: r.shared ? 'shared' : 'private',
    pShared: Number.isFinite(r.pShared) ? r.pShared : r.shared ? 1 : 0,
    pRf: orNull(r.pRf),
    pCnn: orNull(r.pCnn),
    flags: r.flags,
  }));
}

/** Reads labels.csv (vehicle_id,label[,stratum]) to show truth beside predictions. */
export async function readTruth(path: string): Promise<Map<string, { label: string; stratum?: string }>> {
  return new Map((await readLabels(path)).map((l) => [l.vehicleId, { label: l.shared ? 'shared' : 'private', ...(l.stratum ? { stratum: l.stratum } : {}) }]));
}
