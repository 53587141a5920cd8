// What the stream says about a vehicle, and where label changes are kept. The record is the JSON
// value on vehicle.labels; LabelLog is the store side (latest label and the history of changes).
import type Database from 'better-sqlite3';

export interface LabelRecord {
  vehicleId: string;
  /** Null when the vehicle aged out of its window (no fix inside it any more). */
  label: 'shared' | 'private' | null;
  pShared: number | null;
  pRf: number | null;
  pCnn: number | null;
  modelVersion: string;
  /** First and last local day (YYYY-MM-DD) of the window the label was computed on. */
  windowStart: string;
  windowEnd: string;
  /** Kept fixes inside the window. */
  points: number;
  /** Wall-clock time of the scoring (ISO 8601). */
  scoredAt: string;
  /** The features' flags (too_few_points, ...) and the stream's: stale, aged_out. */
  flags: string[];
}

/** Two records say the same thing (scoredAt aside). */
export function sameLabel(a: LabelRecord | null | undefined, b: LabelRecord | null | undefined): boolean {
  if (!a || !b) return a === b;
  const strip = (r: LabelRecord) => JSON.stringify({ ...r, scoredAt: '' });
  return strip(a) === strip(b);
}

/** The store side of labels. record() runs inside the transaction that makes a batch durable. */
export interface LabelLog {
  latest(vehicleId: string): LabelRecord | undefined;
  /** Keeps `r` as the latest; a change of label or model version is also added to the history. Returns whether the label value changed. */
  record(r: LabelRecord, previous: LabelRecord | null): boolean;
  history(vehicleId: string): LabelRecord[];
}

export class SqliteLabelLog implements LabelLog {
  private readonly putLatest: Database.Statement;
  private readonly getLatest: Database.Statement;
  private readonly addHistory: Database.Statement;
  private readonly getHistory: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS stream_labels (vehicle_id TEXT PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS stream_label_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, vehicle_id TEXT NOT NULL, label TEXT,
        model_version TEXT NOT NULL, scored_at TEXT NOT NULL, record TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS stream_label_history_by_vehicle ON stream_label_history (vehicle_id, id);
    `);
    this.putLatest = db.prepare('INSERT OR REPLACE INTO stream_labels VALUES (?, ?)');
    this.getLatest = db.prepare('SELECT record FROM stream_labels WHERE vehicle_id = ?');
    this.addHistory = db.prepare('INSERT INTO stream_label_history (vehicle_id, label, model_version, scored_at, record) VALUES (?, ?, ?, ?, ?)');
    this.getHistory = db.prepare('SELECT record FROM stream_label_history WHERE vehicle_id = ? ORDER BY id');
  }

  latest(vehicleId: string): LabelRecord | undefined {
    const row = this.getLatest.get(vehicleId) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as LabelRecord) : undefined;
  }

  record(r: LabelRecord, previous: LabelRecord | null): boolean {
    const json = JSON.stringify(r);
    this.putLatest.run(r.vehicleId, json);
    const changed = !previous || previous.label !== r.label;
    if (changed || previous.modelVersion !== r.modelVersion) this.addHistory.run(r.vehicleId, r.label, r.modelVersion, r.scoredAt, json);
    return changed;
  }

  history(vehicleId: string): LabelRecord[] {
    return (this.getHistory.all(vehicleId) as { record: string }[]).map((x) => JSON.parse(x.record) as LabelRecord);
  }
}
