// Labels in the store. The latest label of each vehicle is replaced by every newer scoring;
// the history gains a row only when what the user sees changes (the label or its flags), so it
// stays an audit trail of changes rather than a log of every re-scoring.
import { prepared, type Db } from '@cotrans/ingest';

export type LabelValue = 'shared' | 'private';

/** One scoring of one vehicle: the value `vehicle.labels` carries, plus optional features. */
export interface LabelRecord {
  vehicleId: string;
  label: LabelValue;
  pShared: number;
  pRf: number;
  pCnn: number;
  /** The model version id that scored it (versions.ts). */
  modelVersion: string;
  /** The scored window's first and last fix (epoch ms). */
  windowStart: number;
  windowEnd: number;
  /** Kept fixes in the window. */
  points: number;
  /** When it was scored (epoch ms). */
  scoredAt: number;
  flags: string[];
}

export interface ScoringRecord extends LabelRecord {
  /** The features the model read, by column name (stored per scoring when given). */
  features?: Record<string, number>;
}

/** A history row: a change and the label it came from (null for a vehicle's first label). */
export interface LabelChange extends LabelRecord {
  seq: number;
  previous: LabelValue | null;
}

export interface LabelQuery {
  label?: LabelValue;
  modelVersion?: string;
  vehicleIds?: readonly string[];
  /** Only labels scored at or after this time (epoch ms). */
  scoredSince?: number;
  limit?: number;
  offset?: number;
}

interface LabelRow {
  vehicle_id: string;
  label: LabelValue;
  p_shared: number | null;
  p_rf: number | null;
  p_cnn: number | null;
  model_version: string;
  window_start: number;
  window_end: number;
  points: number;
  scored_at: number;
  flags: string;
}

// SQLite stores NaN as NULL; a model's missing probability reads back as NaN
const orNull = (v: number) => (Number.isFinite(v) ? v : null);
const orNaN = (v: number | null) => (v === null ? NaN : v);
const flagsKey = (f: readonly string[]) => JSON.stringify([...f].sort());

function fromRow(r: LabelRow): LabelRecord {
  return {
    vehicleId: r.vehicle_id,
    label: r.label,
    pShared: orNaN(r.p_shared),
    pRf: orNaN(r.p_rf),
    pCnn: orNaN(r.p_cnn),
    modelVersion: r.model_version,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    points: r.points,
    scoredAt: r.scored_at,
    flags: JSON.parse(r.flags) as string[],
  };
}

function cells(r: LabelRecord): (string | number | null)[] {
  return [r.label, orNull(r.pShared), orNull(r.pRf), orNull(r.pCnn), r.modelVersion, r.windowStart, r.windowEnd, r.points, r.scoredAt, flagsKey(r.flags)];
}

const COLS = 'label, p_shared, p_rf, p_cnn, model_version, window_start, window_end, points, scored_at, flags';

/**
 * Records scorings in one transaction and returns the history rows it appended (the changes).
 * A scoring not newer than the vehicle's latest (scoredAt) is ignored, so a batch delivered again
 * after a crash neither rewinds a label nor repeats a change; of two scorings at the same time
 * the first stands.
 */
export function recordLabels(db: Db, rows: readonly ScoringRecord[]): LabelChange[] {
  const get = prepared(db, 'SELECT label, scored_at, flags FROM vehicle_labels WHERE vehicle_id = ?');
  const put = prepared(db, `INSERT OR REPLACE INTO vehicle_labels (vehicle_id, ${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const append = prepared(db, `INSERT INTO label_history (vehicle_id, previous, ${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const feat = prepared(db, 'INSERT OR REPLACE INTO scoring_features VALUES (?, ?, ?, ?)');
  const changes: LabelChange[] = [];
  db.transaction(() => {
    for (const r of rows) {
      const prev = get.get(r.vehicleId) as { label: LabelValue; scored_at: number; flags: string } | undefined;
      if (prev && prev.scored_at >= r.scoredAt) continue;
      const c = cells(r);
      put.run(r.vehicleId, ...c);
      if (r.features) feat.run(r.vehicleId, r.scoredAt, r.modelVersion, JSON.stringify(r.features, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
      if (prev && prev.label === r.label && prev.flags === c[9]) continue;
      const seq = Number(append.run(r.vehicleId, prev?.label ?? null, ...c).lastInsertRowid);
      changes.push({ ...r, flags: [...r.flags], seq, previous: prev?.label ?? null });
    }
  })();
  return changes;
}

/** Latest labels, by vehicle id, filtered by the query. */
export function latestLabels(db: Db, q: LabelQuery = {}): LabelRecord[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const when = (sql: string, v: string | number) => {
    where.push(sql);
    params.push(v);
  };
  if (q.label) when('label = ?', q.label);
  if (q.modelVersion) when('model_version = ?', q.modelVersion);
  if (q.scoredSince !== undefined) when('scored_at >= ?', q.scoredSince);
  if (q.vehicleIds) when('vehicle_id IN (SELECT value FROM json_each(?))', JSON.stringify(q.vehicleIds));
  const sql = `SELECT vehicle_id, ${COLS} FROM vehicle_labels${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY vehicle_id LIMIT ? OFFSET ?`;
  return (prepared(db, sql).all(...params, q.limit ?? -1, q.offset ?? 0) as LabelRow[]).map(fromRow);
}

/** A vehicle's label changes, oldest first. */
export function labelHistory(db: Db, vehicleId: string): LabelChange[] {
  const rows = prepared(db, `SELECT seq, previous, vehicle_id, ${COLS} FROM label_history WHERE vehicle_id = ? ORDER BY seq`).all(vehicleId) as (LabelRow & { seq: number; previous: LabelValue | null })[];
  return rows.map((r) => ({ ...fromRow(r), seq: r.seq, previous: r.previous }));
}

/** The features of a vehicle's scorings, oldest first (non-finite values read back as NaN). */
export function scoringFeatures(db: Db, vehicleId: string): { scoredAt: number; modelVersion: string; features: Record<string, number> }[] {
  const rows = prepared(db, 'SELECT scored_at, model_version, features FROM scoring_features WHERE vehicle_id = ? ORDER BY scored_at').all(vehicleId) as { scored_at: number; model_version: string; features: string }[];
  return rows.map((r) => ({ scoredAt: r.scored_at, modelVersion: r.model_version, features: JSON.parse(r.features, (_, v: unknown) => (v === null ? NaN : v)) as Record<string, number> }));
}

/**
 * Keeps the newest `keepPerVehicle` scorings' features of each vehicle and deletes the rest (a
 * stream re-scoring every vehicle every few minutes would otherwise grow the table without bound);
 * returns how many it deleted.
 */
export function pruneScoringFeatures(db: Db, keepPerVehicle: number): number {
  const sql = `DELETE FROM scoring_features WHERE (vehicle_id, scored_at) IN (
    SELECT vehicle_id, scored_at FROM (
      SELECT vehicle_id, scored_at, ROW_NUMBER() OVER (PARTITION BY vehicle_id ORDER BY scored_at DESC) AS k FROM scoring_features)
    WHERE k > ?)`;
  return prepared(db, sql).run(keepPerVehicle).changes;
}

/** Replaces a vehicle's images (name -> PNG bytes). */
export function recordImages(db: Db, vehicleId: string, images: readonly { name: string; png: Uint8Array }[]): void {
  const del = prepared(db, 'DELETE FROM vehicle_images WHERE vehicle_id = ?');
  const put = prepared(db, 'INSERT INTO vehicle_images VALUES (?, ?, ?)');
  db.transaction(() => {
    del.run(vehicleId);
    for (const i of images) put.run(vehicleId, i.name, Buffer.from(i.png.buffer, i.png.byteOffset, i.png.byteLength));
  })();
}

export function vehicleImages(db: Db, vehicleId: string): { name: string; png: Buffer }[] {
  return prepared(db, 'SELECT name, png FROM vehicle_images WHERE vehicle_id = ? ORDER BY name').all(vehicleId) as { name: string; png: Buffer }[];
}
