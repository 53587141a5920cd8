// Versioned schema migrations, one list per component (each stage owns its tables and their
// migrations in its own package). `schema_versions` holds the version each component is at; a
// database written by a newer build is refused rather than half understood.
import { UserError } from '@cotrans/core';
import type { Db } from './open.js';

/** One schema step: version n moves the component from n - 1 to n. */
export interface Migration {
  version: number;
  /** SQL run as one script, or a function for steps SQL alone cannot express. */
  up: string | ((db: Db) => void);
}

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_versions (
  component TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)`;

function latestOf(component: string, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations of ${component}: step ${i} has version ${m.version}, expected ${i + 1}`);
  });
  return migrations.length;
}

/** The component's schema version in `db`: 0 when it has none yet. */
export function schemaVersion(db: Db, component: string): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").get();
  if (!has) return 0;
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined;
  return row?.version ?? 0;
}

function refuseNewer(db: Db, component: string, have: number, latest: number): void {
  if (have > latest) throw UserError.at({ file: db.name }, `${component} tables are at schema version ${have}, this build reads up to ${latest}; use a newer cotrans`);
}

/**
 * Brings the component's tables to the newest version: each pending step and its version row in
 * one transaction, so a crash leaves the database at a version, never between two. Returns the
 * version now. A read-only connection is only checked (checkSchema).
 */
export function migrate(db: Db, component: string, migrations: readonly Migration[]): number {
  const latest = latestOf(component, migrations);
  if (db.readonly) return checkSchema(db, component, migrations);
  db.exec(VERSIONS_TABLE);
  const setVersion = db.prepare('INSERT INTO schema_versions VALUES (?, ?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at');
  // IMMEDIATE: two processes opening a fresh file at once migrate one after the other
  const step = db.transaction((m: Migration) => {
    if (schemaVersion(db, component) >= m.version) return;
    if (typeof m.up === 'string') db.exec(m.up);
    else m.up(db);
    setVersion.run(component, m.version, new Date().toISOString());
  });
  const have = schemaVersion(db, component);
  refuseNewer(db, component, have, latest);
  for (const m of migrations.slice(have)) step.immediate(m);
  return latest;
}

/** For a read-only reader: the component must be at exactly this build's version. */
export function checkSchema(db: Db, component: string, migrations: readonly Migration[]): number {
  const latest = latestOf(component, migrations);
  const have = schemaVersion(db, component);
  refuseNewer(db, component, have, latest);
  if (have === 0) throw UserError.at({ file: db.name }, `holds no ${component} tables`);
  if (have < latest) throw UserError.at({ file: db.name }, `${component} tables are at schema version ${have}, this build needs ${latest}; open it once with a writing command to upgrade`);
  return have;
}
