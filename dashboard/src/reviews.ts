import Database from 'better-sqlite3';
import { UserError, excerpt } from '@cotrans/core';

export type Verdict = 'shared' | 'private' | 'unsure';
export const VERDICTS: readonly Verdict[] = ['shared', 'private', 'unsure'];

export interface Review {
  vehicleId: string;
  verdict: Verdict;
  note: string;
  reviewer: string;
  /** Epoch ms. */
  at: number;
}

/**
 * Reviewers' verdicts in SQLite. Every verdict is appended (an audit trail); the latest per vehicle
 * is the one that counts.
 */
export class ReviewStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

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
    this.db.exec(`CREATE TABLE IF NOT EXISTS reviews (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      vehicle_id TEXT NOT NULL,
      verdict TEXT NOT NULL CHECK (verdict IN ('shared','private','unsure')),
      note TEXT NOT NULL DEFAULT '',
      reviewer TEXT NOT NULL DEFAULT '',
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reviews_vehicle ON reviews(vehicle_id, id);`);
    this.insert = this.db.prepare('INSERT INTO reviews (vehicle_id, verdict, note, reviewer, at) VALUES (?, ?, ?, ?, ?)');
  }

  add(r: Review): void {
    this.insert.run(r.vehicleId, r.verdict, r.note, r.reviewer, r.at);
  }

  /** Latest verdict per vehicle. */
  latest(): Map<string, Review> {
    const rows = this.db
      .prepare(`SELECT vehicle_id, verdict, note, reviewer, at FROM reviews r
                WHERE id = (SELECT MAX(id) FROM reviews WHERE vehicle_id = r.vehicle_id)`)
      .all() as { vehicle_id: string; verdict: Verdict; note: string; reviewer: string; at: number }[];
    return new Map(rows.map((x) => [x.vehicle_id, { vehicleId: x.vehicle_id, verdict: x.verdict, note: x.note, reviewer: x.reviewer, at: x.at }]));
  }

  history(vehicleId: string): Review[] {
    return (this.db.prepare('SELECT vehicle_id, verdict, note, reviewer, at FROM reviews WHERE vehicle_id = ? ORDER BY id').all(vehicleId) as {
      vehicle_id: string; verdict: Verdict; note: string; reviewer: string; at: number;
    }[]).map((x) => ({ vehicleId: x.vehicle_id, verdict: x.verdict, note: x.note, reviewer: x.reviewer, at: x.at }));
  }

  close(): void {
    this.db.close();
  }
}
