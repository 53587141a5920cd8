import Database from 'better-sqlite3';
import { UserError, excerpt } from '@cotrans/core';

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

interface ReviewRow { vehicle_id: string; verdict: Verdict; note: string; reviewer: string; at: number }
const toReview = (x: ReviewRow): Review => ({ vehicleId: x.vehicle_id, verdict: x.verdict, note: x.note, reviewer: x.reviewer, at: x.at });

/**
 * Reviewers' verdicts in SQLite. Every verdict is appended to `reviews` (an audit trail). The latest
 * per vehicle lives in `latest_reviews`, kept by a trigger, so that reading it never scans the
 * audit trail: any writer of the file, this version or an older one, keeps it current.
 */
export class ReviewStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly historyOf: Database.Statement;
  private readonly latestOf: Database.Statement;

  /** Opens or creates the database; a file that is not one (or holds other tables) is a UserError. */
  constructor(path: string) {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      // a garbage file opens; the first statement is where SQLite looks at it
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
      if (tables.length > 0 && !tables.includes('reviews')) throw new UserError(`${path}: not a reviews database (it has tables ${excerpt(tables.join(', '))})`);
    } catch (err) {
      db?.close();
      if (err instanceof UserError) throw err;
      const code = (err as { code?: string }).code;
      throw new UserError(`${path}: cannot open as a reviews database (${code === 'SQLITE_NOTADB' ? 'not an SQLite file' : code === 'SQLITE_CANTOPEN' ? 'cannot open it: a directory, or a folder that does not exist?' : excerpt((err as Error).message)})`);
    }
    this.db = db;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS reviews (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      vehicle_id TEXT NOT NULL,
      verdict TEXT NOT NULL CHECK (verdict IN ('shared','private','unsure')),
      note TEXT NOT NULL DEFAULT '',
      reviewer TEXT NOT NULL DEFAULT '',
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reviews_vehicle ON reviews(vehicle_id, id);`);
    this.db.transaction(() => {
      const fresh = !this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'latest_reviews'").get();
      this.db.exec(`CREATE TABLE IF NOT EXISTS latest_reviews (
        vehicle_id TEXT PRIMARY KEY,
        review_id INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TRIGGER IF NOT EXISTS reviews_latest AFTER INSERT ON reviews BEGIN
        INSERT INTO latest_reviews (vehicle_id, review_id) VALUES (NEW.vehicle_id, NEW.id)
        ON CONFLICT (vehicle_id) DO UPDATE SET review_id = excluded.review_id WHERE excluded.review_id > review_id;
      END;`);
      // One pass over the audit trail, once, when an older file first gains the table.
      if (fresh) this.db.exec('INSERT INTO latest_reviews (vehicle_id, review_id) SELECT vehicle_id, MAX(id) FROM reviews GROUP BY vehicle_id');
    })();
    this.insert = this.db.prepare('INSERT INTO reviews (vehicle_id, verdict, note, reviewer, at) VALUES (?, ?, ?, ?, ?)');
    this.historyOf = this.db.prepare('SELECT vehicle_id, verdict, note, reviewer, at FROM reviews WHERE vehicle_id = ? ORDER BY id');
    this.latestOf = this.db.prepare(`SELECT r.vehicle_id, r.verdict, r.note, r.reviewer, r.at
      FROM latest_reviews l JOIN reviews r ON r.id = l.review_id WHERE l.vehicle_id = ?`);
  }

  add(r: Review): void {
    this.insert.run(r.vehicleId, r.verdict, r.note, r.reviewer, r.at);
  }

  /** Latest verdict per vehicle: one row per reviewed vehicle, read through the latest_reviews table. */
  latest(): Map<string, Review> {
    const rows = this.db
      .prepare('SELECT r.vehicle_id, r.verdict, r.note, r.reviewer, r.at FROM latest_reviews l JOIN reviews r ON r.id = l.review_id')
      .all() as ReviewRow[];
    return new Map(rows.map((x) => [x.vehicle_id, toReview(x)]));
  }

  latestFor(vehicleId: string): Review | null {
    const row = this.latestOf.get(vehicleId) as ReviewRow | undefined;
    return row ? toReview(row) : null;
  }

  history(vehicleId: string): Review[] {
    return (this.historyOf.all(vehicleId) as ReviewRow[]).map(toReview);
  }

  close(): void {
    this.db.close();
  }
}
