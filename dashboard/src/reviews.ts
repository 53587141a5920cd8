import { UserError, excerpt } from '@cotrans/core';
import { migrate, openStore, prepared, type Db, type Migration } from '@cotrans/ingest';

export type Verdict = 'shared' | 'private' | 'unsure';
export const VERDICTS: readonly Verdict[] = ['shared', 'private', 'unsure'];

export interface Review {
  vehicleId: string;
  /**
   * A verdict as stored. New rows are checked against VERDICTS, but a database made without the
   * CHECK constraint may hold anything, so readers treat it as untrusted text.
   */
  verdict: Verdict;
  note: string;
  /** The identity of the token that wrote it. */
  reviewer: string;
  /** Epoch ms. */
  at: number;
}

export const REVIEWS_COMPONENT = 'dashboard.reviews';

/**
 * The reviews tables. `IF NOT EXISTS` throughout: a reviews file written before the store had
 * versions (with or without `latest_reviews`) is taken in as it is, and `latest_reviews` is filled
 * from the audit trail once.
 */
export const REVIEW_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE IF NOT EXISTS reviews (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      vehicle_id TEXT NOT NULL,
      verdict TEXT NOT NULL CHECK (verdict IN ('shared','private','unsure')),
      note TEXT NOT NULL DEFAULT '',
      reviewer TEXT NOT NULL DEFAULT '',
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reviews_vehicle ON reviews(vehicle_id, id);
    CREATE TABLE IF NOT EXISTS latest_reviews (vehicle_id TEXT PRIMARY KEY, review_id INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS reviews_latest AFTER INSERT ON reviews BEGIN
      INSERT INTO latest_reviews (vehicle_id, review_id) VALUES (NEW.vehicle_id, NEW.id)
      ON CONFLICT (vehicle_id) DO UPDATE SET review_id = excluded.review_id WHERE excluded.review_id > review_id;
    END;
    INSERT INTO latest_reviews (vehicle_id, review_id) SELECT vehicle_id, MAX(id) FROM reviews WHERE true GROUP BY vehicle_id
      ON CONFLICT (vehicle_id) DO UPDATE SET review_id = excluded.review_id WHERE excluded.review_id > review_id;`,
  },
];

interface ReviewRow { id?: number; vehicle_id: string; verdict: Verdict; note: string; reviewer: string; at: number }
const toReview = (x: ReviewRow): Review => ({ vehicleId: x.vehicle_id, verdict: x.verdict, note: x.note, reviewer: x.reviewer, at: x.at });
const LATEST = 'SELECT r.id, r.vehicle_id, r.verdict, r.note, r.reviewer, r.at FROM latest_reviews l JOIN reviews r ON r.id = l.review_id';

/** Opens a file that holds only reviews (`--reviews`); a file that is not one is a UserError. */
function openReviewsFile(path: string): Db {
  let db: Db | undefined;
  try {
    db = openStore(path, { busyTimeoutMs: 2000 });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
    if (tables.length > 0 && !tables.includes('reviews')) throw new UserError(`${path}: not a reviews database (it has tables ${excerpt(tables.join(', '))})`);
    return db;
  } catch (err) {
    db?.close();
    const msg = (err as Error).message;
    if (/not a reviews database/.test(msg)) throw err;
    throw new UserError(`${path}: cannot open as a reviews database (${/not a SQLite database/.test(msg) ? 'not an SQLite file' : /directory|cannot open/.test(msg) ? 'cannot open it: a directory, or a folder that does not exist?' : excerpt(msg)})`);
  }
}

/**
 * Reviewers' verdicts in SQLite: in the pipeline's store, or in a file of their own. Every verdict
 * is appended to `reviews` (an audit trail). The latest per vehicle lives in `latest_reviews`, kept
 * by a trigger, so that reading it never scans the audit trail: any writer keeps it current.
 */
export class ReviewStore {
  readonly db: Db;
  private readonly owned: boolean;

  /** A path opens (or creates) a reviews file; a Db is a store another part owns (not closed here). */
  constructor(pathOrDb: string | Db) {
    this.owned = typeof pathOrDb === 'string';
    this.db = typeof pathOrDb === 'string' ? openReviewsFile(pathOrDb) : pathOrDb;
    try {
      migrate(this.db, REVIEWS_COMPONENT, REVIEW_MIGRATIONS);
    } catch (e) {
      if (this.owned) this.db.close();
      throw e;
    }
  }

  add(r: Review): number {
    return Number(prepared(this.db, 'INSERT INTO reviews (vehicle_id, verdict, note, reviewer, at) VALUES (?, ?, ?, ?, ?)').run(r.vehicleId, r.verdict, r.note, r.reviewer, r.at).lastInsertRowid);
  }

  /** Latest verdict per vehicle: one row per reviewed vehicle, read through the latest_reviews table. */
  latest(): Map<string, Review> {
    return new Map((prepared(this.db, LATEST).all() as ReviewRow[]).map((x) => [x.vehicle_id, toReview(x)]));
  }

  /** The highest review id written by anyone: a cheap test for reviews from another process. */
  lastId(): number {
    return (prepared(this.db, 'SELECT coalesce(max(id), 0) AS n FROM reviews').get() as { n: number }).n;
  }

  /** Latest verdicts of the vehicles reviewed after review `afterId`. */
  latestSince(afterId: number): Review[] {
    return (prepared(this.db, `${LATEST} WHERE l.review_id > ?`).all(afterId) as ReviewRow[]).map(toReview);
  }

  latestFor(vehicleId: string): Review | null {
    const row = prepared(this.db, `${LATEST} WHERE l.vehicle_id = ?`).get(vehicleId) as ReviewRow | undefined;
    return row ? toReview(row) : null;
  }

  history(vehicleId: string): Review[] {
    return (prepared(this.db, 'SELECT vehicle_id, verdict, note, reviewer, at FROM reviews WHERE vehicle_id = ? ORDER BY id').all(vehicleId) as ReviewRow[]).map(toReview);
  }

  close(): void {
    if (this.owned) this.db.close();
  }
}

/**
 * The latest decided verdict (`shared` or `private`) of every reviewed vehicle in a store, as
 * labels; `unsure` verdicts are left out. The store is opened read-only: a file without reviews
 * tables is a UserError naming it.
 */
export function readReviewedLabels(path: string): { vehicleId: string; shared: boolean }[] {
  const db = openStore(path, { readonly: true });
  try {
    const latest = new ReviewStore(db).latest();
    return [...latest.values()].filter((r) => r.verdict === 'shared' || r.verdict === 'private').map((r) => ({ vehicleId: r.vehicleId, shared: r.verdict === 'shared' }));
  } finally {
    db.close();
  }
}
