import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { checkSchema, deadLetterCounts, migrate, migrateDeadLetters, openStore, recordDeadLetters, schemaVersion, SqlitePointStore, type Migration } from '@cotrans/ingest';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cotrans-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const p = (n: string) => path.join(tmp, n);

const V1: Migration[] = [{ version: 1, up: 'CREATE TABLE things (id TEXT PRIMARY KEY)' }];
const V2: Migration[] = [...V1, { version: 2, up: 'ALTER TABLE things ADD COLUMN size INTEGER' }];

describe('openStore', () => {
  it('creates a WAL database and reopens it', () => {
    const db = openStore(p('a.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });

  it('names the file when it is not a database, is a directory, or is missing for a read-only open', () => {
    writeFileSync(p('garbage.sqlite'), 'this is not a database at all, just some text that is long enough\n'.repeat(20));
    expect(() => openStore(p('garbage.sqlite'))).toThrow(/garbage\.sqlite: is not a SQLite database/);
    expect(() => openStore(p('garbage.sqlite'), { readonly: true })).toThrow(/garbage\.sqlite: is not a SQLite database/);
    mkdirSync(p('dir.sqlite'));
    expect(() => openStore(p('dir.sqlite'))).toThrow(/dir\.sqlite: is a directory/);
    expect(() => openStore(p('none.sqlite'), { readonly: true })).toThrow(/none\.sqlite: no such store database/);
  });

  it('a read-only open writes nothing into an empty file and refuses it as holding no tables', () => {
    writeFileSync(p('empty.sqlite'), '');
    const db = openStore(p('empty.sqlite'), { readonly: true });
    expect(() => migrate(db, 'things', V1)).toThrow(/empty\.sqlite: holds no things tables/);
    db.close();
    expect(statSync(p('empty.sqlite')).size).toBe(0);
  });
});

describe('migrate', () => {
  it('applies pending steps once, records versions per component, and refuses a newer database', () => {
    const db = openStore(p('m.sqlite'));
    expect(schemaVersion(db, 'things')).toBe(0);
    expect(migrate(db, 'things', V1)).toBe(1);
    db.prepare("INSERT INTO things VALUES ('a')").run();
    expect(migrate(db, 'things', V2)).toBe(2);
    expect(migrate(db, 'things', V2)).toBe(2);
    expect(db.prepare('SELECT id, size FROM things').all()).toEqual([{ id: 'a', size: null }]);
    migrate(db, 'other', V1.map((m) => ({ ...m, up: 'CREATE TABLE others (id TEXT)' })));
    expect(db.prepare('SELECT component, version FROM schema_versions ORDER BY component').all()).toEqual([
      { component: 'other', version: 1 },
      { component: 'things', version: 2 },
    ]);
    expect(() => migrate(db, 'things', V1)).toThrow(/m\.sqlite: things tables are at schema version 2, this build reads up to 1; use a newer cotrans/);
    db.close();
    const ro = openStore(p('m.sqlite'), { readonly: true });
    expect(checkSchema(ro, 'things', V2)).toBe(2);
    expect(() => checkSchema(ro, 'things', [...V2, { version: 3, up: '' }])).toThrow(/at schema version 2, this build needs 3/);
    ro.close();
  });

  it('a failing step leaves the component at its previous version', () => {
    const db = openStore(p('fail.sqlite'));
    migrate(db, 'things', V1);
    const bad: Migration[] = [...V1, { version: 2, up: 'ALTER TABLE things ADD COLUMN x INTEGER; CREATE TABLE nope (' }];
    expect(() => migrate(db, 'things', bad)).toThrow();
    expect(schemaVersion(db, 'things')).toBe(1);
    expect((db.prepare('PRAGMA table_info(things)').all() as { name: string }[]).map((c) => c.name)).toEqual(['id']);
    db.close();
  });

  it('rejects a list whose versions are not 1, 2, 3, ...', () => {
    const db = openStore(p('gap.sqlite'));
    expect(() => migrate(db, 'things', [{ version: 2, up: '' }])).toThrow(/expected 1/);
    db.close();
  });
});

describe('the point store and dead-letter counts share one file', () => {
  it('adopts a point store written before versioning and keeps its rows', () => {
    const old = new Database(p('old-points.sqlite'));
    old.exec(`CREATE TABLE points (vehicle_id TEXT NOT NULL, ts INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, speed_kmh REAL, heading REAL, PRIMARY KEY (vehicle_id, ts)) WITHOUT ROWID;
      CREATE TABLE vehicles (vehicle_id TEXT PRIMARY KEY, n_points INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, digest INTEGER NOT NULL);
      CREATE TABLE offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset TEXT NOT NULL, PRIMARY KEY (topic, partition));
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO offsets VALUES ('gps.points', 0, '42');`);
    old.close();
    const store = new SqlitePointStore(p('old-points.sqlite'));
    expect(store.resumeOffset('gps.points', 0)).toBe('42');
    expect(schemaVersion(store.db, 'ingest.points')).toBe(1);
    migrateDeadLetters(store.db);
    recordDeadLetters(store.db, [{ reason: 'bad json', topic: 'gps.points', partition: 0, count: 2 }]);
    recordDeadLetters(store.db, [{ reason: 'bad json', topic: 'gps.points', partition: 0, count: 3 }, { reason: 'no points', topic: 'gps.points', partition: 1, count: 1 }, { reason: 'zero', topic: 'gps.points', partition: 1, count: 0 }]);
    expect(deadLetterCounts(store.db)).toEqual([
      { reason: 'bad json', topic: 'gps.points', partition: 0, count: 5 },
      { reason: 'no points', topic: 'gps.points', partition: 1, count: 1 },
    ]);
    store.close();
  });
});
