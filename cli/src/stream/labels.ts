// Where the stream keeps its labels: the learning stage's tables in the one store (latest label
// per vehicle, history of changes), behind the small interface the job needs.
import type Database from 'better-sqlite3';
import { migrateLabels, recordLabels, type LabelRecord } from '@cotrans/cotrans';
import type { VehicleFeatures, VehicleImages } from '@cotrans/features';

export type { LabelRecord };

/** What makes the labels: the current model version's classifier. */
export interface Scorer {
  classify(features: VehicleFeatures[], images: Map<string, VehicleImages>): Promise<{ vehicleId: string; shared: boolean; pShared: number; pRf: number; pCnn: number; flags: string[] }[]>;
  dispose(): void;
}

export interface LabelLog {
  /** Keeps the labels as the latest of their vehicles (inside the caller's transaction); returns how many changed what the user sees. */
  record(labels: readonly LabelRecord[]): number;
}

export class StoreLabelLog implements LabelLog {
  constructor(private readonly db: Database.Database) {
    migrateLabels(db);
  }

  record(labels: readonly LabelRecord[]): number {
    return labels.length ? recordLabels(this.db, labels).length : 0;
  }
}
