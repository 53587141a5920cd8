// Polling a store's counter from outside the process that writes it (a crash test's view).
import Database from 'better-sqlite3';

/**
 * The value of counter `name` in the `counters` table of SQLite file `file`; 0 while the file or
 * the table does not exist yet (before the first transaction). Any other failure is thrown.
 */
export function sqliteCounter(file: string, name: string): number {
  try {
    const d = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT value FROM counters WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
    } finally {
      d.close();
    }
  } catch (err) {
    if (/SQLITE_CANTOPEN|no such table/.test(`${(err as { code?: string }).code} ${(err as Error).message}`)) return 0;
    throw err;
  }
}
