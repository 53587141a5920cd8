// Opening the one embedded store (better-sqlite3). A writing command opens it in WAL mode, so
// readers (dashboard, read-only commands) never block the writer; a read-only command opens it
// read-only and so can never write a schema into a file it was only meant to read.
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { UserError } from '@cotrans/core';

export type Db = Database.Database;

export interface OpenStoreOptions {
  /** Open read-only: the file must exist and be a database; nothing is written to it. */
  readonly?: boolean;
  /** How long a statement waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** `synchronous` pragma: FULL (default) makes a committed transaction survive power loss too. */
  synchronous?: 'FULL' | 'NORMAL';
}

/** The one default for every connection to the store. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (or, unless read-only, creates) a store. A path that is a directory, a file that is not a
 * SQLite database, or a missing file for a read-only open is a UserError naming the file.
 */
export function openStore(path: string, opts: OpenStoreOptions = {}): Db {
  if (existsSync(path) && statSync(path).isDirectory()) throw UserError.at({ file: path }, 'is a directory, not a store database');
  if (opts.readonly && !existsSync(path)) throw UserError.at({ file: path }, 'no such store database');
  let db: Db;
  try {
    db = new Database(path, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (e) {
    throw UserError.at({ file: path }, `cannot open the store (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    // the first read of the header: a file that is not a database fails here
    db.pragma('schema_version');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    }
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw UserError.at({ file: path }, 'is not a SQLite database (or is damaged)');
    throw UserError.at({ file: path }, `cannot open the store (${code ?? (e as Error).message})`);
  }
  return db;
}
