// A batch classification into the store: the model version and its summary, one scoring per
// vehicle (label, probabilities, window, features by column) and, when asked, its images. The
// offline job (`cotrans run`), `classify --db` and the stream write through this one path.
import { FEATURE_COLUMNS, vehiclePngs, type VehicleFeatures, type VehicleImages } from '@cotrans/features';
import type { Db } from '@cotrans/ingest';
import type { PredictionRow } from '../io.js';
import type { Manifest } from '../model.js';
import { migrateLabels } from './schema.js';
import { recordImages, recordLabels, type LabelChange, type ScoringRecord } from './labels.js';
import { modelSummary, recordModelVersion } from './models.js';

export interface ScoredFleet {
  features: VehicleFeatures[];
  images: Map<string, VehicleImages>;
  /** First and last fix per vehicle (epoch ms); a vehicle without one gets 0, 0. */
  spans?: Map<string, { first: number; last: number }>;
}

/** The features of a vehicle by column name. */
export function featuresByColumn(f: VehicleFeatures): Record<string, number> {
  return Object.fromEntries(FEATURE_COLUMNS.map((c, i) => [c, f.values[i]]));
}

/** Prediction rows as scorings of `modelVersion` at `scoredAt` (rows and fleet features align by vehicle id). */
export function scoringRecords(rows: readonly PredictionRow[], fleet: Pick<ScoredFleet, 'features' | 'spans'>, modelVersion: string, scoredAt: number): ScoringRecord[] {
  const byId = new Map(fleet.features.map((f) => [f.vehicleId, f]));
  return rows.map((r) => {
    const f = byId.get(r.vehicleId);
    const span = fleet.spans?.get(r.vehicleId);
    return {
      vehicleId: r.vehicleId,
      label: r.shared ? 'shared' : 'private',
      pShared: r.pShared,
      pRf: r.pRf,
      pCnn: r.pCnn,
      modelVersion,
      windowStart: span?.first ?? 0,
      windowEnd: span?.last ?? 0,
      points: f?.nPoints ?? 0,
      scoredAt,
      flags: [...r.flags],
      ...(f ? { features: featuresByColumn(f) } : {}),
    };
  });
}

export interface StoreScoringInput {
  modelVersion: string;
  manifest: Manifest;
  rows: readonly PredictionRow[];
  fleet: ScoredFleet;
  scoredAt?: number;
  /** Also store each vehicle's PNGs (days and aggregate). */
  images?: boolean;
}

/** Writes one classification of a fleet into the store; returns the label changes it made. */
export async function storeScoring(db: Db, s: StoreScoringInput): Promise<LabelChange[]> {
  migrateLabels(db);
  const scoredAt = s.scoredAt ?? Date.now();
  // PNGs are encoded before the transaction, so it stays short
  const pngs = s.images ? await Promise.all([...s.fleet.images.values()].map(async (img) => ({ id: img.vehicleId, pngs: await vehiclePngs(img) }))) : [];
  let changes: LabelChange[] = [];
  db.transaction(() => {
    recordModelVersion(db, { id: s.modelVersion, createdAt: s.manifest.createdAt, summary: modelSummary(s.manifest) });
    changes = recordLabels(db, scoringRecords(s.rows, s.fleet, s.modelVersion, scoredAt));
    for (const p of pngs) recordImages(db, p.id, p.pngs);
  })();
  return changes;
}
