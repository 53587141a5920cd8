// The learning stage's tables in the one store: model versions and their training summaries,
// the latest label per vehicle, the history of label changes, the features behind each scoring,
// and trajectory images. Times are epoch milliseconds (INTEGER); lists and summaries are JSON.
import { migrate, type Db, type Migration } from '@cotrans/ingest';

export const LABELS_COMPONENT = 'cotrans.labels';

export const LABEL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE model_versions (
        id TEXT PRIMARY KEY, created_at TEXT NOT NULL, recorded_at TEXT NOT NULL, summary TEXT NOT NULL);
      CREATE TABLE vehicle_labels (
        vehicle_id TEXT PRIMARY KEY, label TEXT NOT NULL, p_shared REAL, p_rf REAL, p_cnn REAL,
        model_version TEXT NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
        points INTEGER NOT NULL, scored_at INTEGER NOT NULL, flags TEXT NOT NULL);
      CREATE INDEX vehicle_labels_by_label ON vehicle_labels (label, vehicle_id);
      CREATE TABLE label_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, vehicle_id TEXT NOT NULL, previous TEXT,
        label TEXT NOT NULL, p_shared REAL, p_rf REAL, p_cnn REAL, model_version TEXT NOT NULL,
        window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, points INTEGER NOT NULL,
        scored_at INTEGER NOT NULL, flags TEXT NOT NULL);
      CREATE INDEX label_history_by_vehicle ON label_history (vehicle_id, seq);
      CREATE TABLE scoring_features (
        vehicle_id TEXT NOT NULL, scored_at INTEGER NOT NULL, model_version TEXT NOT NULL,
        features TEXT NOT NULL, PRIMARY KEY (vehicle_id, scored_at)) WITHOUT ROWID;
      CREATE TABLE vehicle_images (
        vehicle_id TEXT NOT NULL, name TEXT NOT NULL, png BLOB NOT NULL,
        PRIMARY KEY (vehicle_id, name)) WITHOUT ROWID;`,
  },
];

/** Creates or upgrades the learning stage's tables (a read-only connection is only checked). */
export function migrateLabels(db: Db): void {
  migrate(db, LABELS_COMPONENT, LABEL_MIGRATIONS);
}
