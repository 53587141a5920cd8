// The offline job and model versions through the real commands, on real files: a simulated fleet,
// a trained model directory with versions, and one SQLite store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFleet } from '@cotrans/fixtures';
import { openStore } from '@cotrans/ingest';
import { currentVersion, labelHistory, latestLabels, listVersions, modelVersions, resolveModelDir, scoringFeatures, vehicleImages, writeVersion } from '@cotrans/cotrans';
import { run } from './helpers/run.js';

let dir: string;
const p = (...s: string[]) => path.join(dir, ...s);
const small = ['--members', '1', '--epochs', '2', '--rounds', '1', '--image-mode', 'day'];
const withDb = <T>(file: string, f: (db: ReturnType<typeof openStore>) => T): T => {
  const db = openStore(file, { readonly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
};
const oneLine = (r: { code: number; err: string }) => {
  expect(r.code, r.err).toBe(1);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
  expect(lines).toHaveLength(1);
  return lines[0];
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-run-'));
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, p('src'));
  await writeFleet({ preset: 'target', vehicles: 50, days: 3, seed: 4, sharedShare: 0.3 }, p('tgt'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cotrans run, classify --db and models', () => {
  it('run trains a version, labels every vehicle and writes labels, history, features and the version into the store', async () => {
    const r = await run(['run', '--input', p('tgt', 'points.csv.gz'), '--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv'), '--models', p('models'), '--db', p('store.sqlite'), '--out', p('pred.csv'), '--db-images', ...small]);
    expect(r.code, r.err).toBe(0);
    const v1 = currentVersion(p('models'))!;
    expect(v1).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const csv = readFileSync(p('pred.csv'), 'utf8').trim().split('\n');
    const ids = csv.slice(1).map((l) => l.split(',')[0]).sort();
    expect(ids.length).toBeGreaterThan(30);
    expect(r.out).toContain(`classified ${ids.length} vehicles with model version ${v1}`);
    expect(r.out).toContain(`(${ids.length} label change(s))`);
    expect(csv[0]).toBe('vehicle_id,label,p_shared,p_rf,p_cnn,flags,model_version,scored_at');
    expect(csv.slice(1).every((l) => l.includes(`,${v1},`))).toBe(true);
    withDb(p('store.sqlite'), (db) => {
      const labels = latestLabels(db);
      expect(labels.map((l) => l.vehicleId)).toEqual(ids);
      const csvLabels = new Map(csv.slice(1).map((l) => [l.split(',')[0], l.split(',')[1]]));
      for (const l of labels) {
        expect(l.modelVersion).toBe(v1);
        expect(l.label).toBe(csvLabels.get(l.vehicleId));
        expect(l.windowEnd).toBeGreaterThanOrEqual(l.windowStart);
        expect(l.windowStart).toBeGreaterThan(Date.parse('2000-01-01'));
      }
      // unflagged vehicles span hours of fixes at least
      for (const l of labels.filter((x) => !x.flags.length)) {
        expect(l.windowEnd - l.windowStart).toBeGreaterThan(3_600_000);
        expect(l.points).toBeGreaterThan(0);
      }
      const [mv] = modelVersions(db);
      expect(mv.id).toBe(v1);
      expect(mv.summary.rounds).toBeGreaterThanOrEqual(1);
      expect(mv.summary.domainDistance!.before).toBeGreaterThan(0);
      expect(mv.summary.members).toBe(1);
      const id = labels[0].vehicleId;
      expect(labelHistory(db, id)).toHaveLength(1);
      expect(Object.keys(scoringFeatures(db, id)[0].features)).toHaveLength(32);
      expect(vehicleImages(db, id).map((i) => i.name)).toContain('aggregate.png');
      expect(vehicleImages(db, id)[0].png.subarray(1, 4).toString()).toBe('PNG');
    });
  }, 180_000);

  it('run with --models takes the current version; the same labels again append no history', async () => {
    const r = await run(['run', '--input', p('tgt', 'points.csv.gz'), '--models', p('models'), '--db', p('store.sqlite')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('(0 label change(s))');
    withDb(p('store.sqlite'), (db) => {
      expect(modelVersions(db)).toHaveLength(1);
      for (const l of latestLabels(db)) expect(labelHistory(db, l.vehicleId)).toHaveLength(1);
    });
  }, 120_000);

  it('train writes a second version; models lists, shows and rolls back; classify --db records which version scored', async () => {
    const v1 = currentVersion(p('models'))!;
    const t = await run(['train', '--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv'), '--target', p('tgt', 'points.csv.gz'), '--models', p('models'), '--seed', '1', ...small]);
    expect(t.code, t.err).toBe(0);
    const v2 = currentVersion(p('models'))!;
    expect(v2).not.toBe(v1);
    expect(t.out).toContain(`(version ${v2}, now current)`);
    const list = await run(['models', 'list', '--models', p('models')]);
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(new RegExp(`^  ${v1}  members 1, rounds \\d+, predicted shared [\\d.]+%\\n\\* ${v2}  `));
    const show = await run(['models', 'show', '--models', p('models')]);
    expect(JSON.parse(show.out)).toMatchObject({ id: v2, current: true, members: 1, tz: 'Europe/Berlin' });
    const use = await run(['models', 'use', v1, '--models', p('models')]);
    expect(use.out).toBe(`current: ${v1} (was ${v2})\n`);
    const c = await run(['classify', '--models', p('models'), '--input', p('tgt', 'points.csv.gz'), '--db', p('store.sqlite')]);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toContain(`model version ${v1}`);
    withDb(p('store.sqlite'), (db) => expect(new Set(latestLabels(db).map((l) => l.modelVersion))).toEqual(new Set([v1])));
    expect(oneLine(await run(['models', 'use', '../../etc', '--models', p('models')]))).toBe("cotrans models: version '../../etc' is not a version id (like 20261202T141500Z-3fa9c1d2)");
    expect(oneLine(await run(['models', 'frob', '--models', p('models')]))).toMatch(/unknown action 'frob'/);
  }, 180_000);

  it('labels prints the latest labels and a history read-only; an empty file stays empty', async () => {
    const latest = await run(['labels', '--db', p('store.sqlite')]);
    expect(latest.code, latest.err).toBe(0);
    const lines = latest.out.trim().split('\n');
    expect(lines[0]).toBe('vehicle_id,label,p_shared,p_rf,p_cnn,flags,model_version,scored_at,window_start,window_end,points');
    const n = withDb(p('store.sqlite'), (db) => latestLabels(db).length);
    expect(lines).toHaveLength(n + 1);
    const shared = await run(['labels', '--db', p('store.sqlite'), '--label', 'shared', '--limit', '2']);
    expect(shared.out.trim().split('\n').slice(1).every((l) => l.split(',')[1] === 'shared')).toBe(true);
    const id = lines[1].split(',')[0];
    const h = await run(['labels', '--db', p('store.sqlite'), '--vehicle', id]);
    expect(h.out.split('\n')[0]).toMatch(/^previous,vehicle_id,/);
    expect(h.out.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    writeFileSync(p('empty.sqlite'), '');
    expect(oneLine(await run(['labels', '--db', p('empty.sqlite')]))).toBe(`cotrans labels: ${p('empty.sqlite')}: holds no cotrans.labels tables`);
    expect(readFileSync(p('empty.sqlite'))).toHaveLength(0);
    expect(oneLine(await run(['labels', '--db', p('nope.sqlite')]))).toBe(`cotrans labels: ${p('nope.sqlite')}: no such store database`);
    expect(oneLine(await run(['labels', '--db', p('store.sqlite'), '--vehicle', 'nobody']))).toMatch(/no label of vehicle 'nobody'/);
  });

  it('a model directory written before versions classifies under the id it gets when taken into versions/', async () => {
    cpSync(resolveModelDir(p('models')).path, p('flat'), { recursive: true });
    const c = await run(['classify', '--models', p('flat'), '--input', p('tgt', 'points.csv.gz'), '--out', p('pred-flat.csv')]);
    expect(c.code, c.err).toBe(0);
    const id = readFileSync(p('pred-flat.csv'), 'utf8').split('\n')[1].split(',').at(-2);
    await writeVersion(p('flat'), async (into) => cpSync(resolveModelDir(p('models')).path, into, { recursive: true }), new Date('2030-01-01T00:00:00Z'));
    expect((await listVersions(p('flat')))[0].id).toBe(id);
  }, 120_000);

  it('bad stores are exit 1 naming the file: not a database, from a newer build', async () => {
    writeFileSync(p('garbage.sqlite'), 'not a database\n'.repeat(100));
    const g = oneLine(await run(['classify', '--models', p('models'), '--input', p('tgt', 'points.csv.gz'), '--db', p('garbage.sqlite')]));
    expect(g).toBe(`cotrans classify: ${p('garbage.sqlite')}: is not a SQLite database (or is damaged)`);
    const newer = openStore(p('newer.sqlite'));
    newer.exec("CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_versions VALUES ('cotrans.labels', 99, '2030-01-01')");
    newer.close();
    const n = oneLine(await run(['run', '--input', p('tgt', 'points.csv.gz'), '--models', p('models'), '--db', p('newer.sqlite')]));
    expect(n).toBe(`cotrans run: ${p('newer.sqlite')}: cotrans.labels tables are at schema version 99, this build reads up to 1; use a newer cotrans`);
    expect(oneLine(await run(['run', '--input', p('tgt', 'points.csv.gz'), '--models', p('models')]))).toBe('cotrans run: missing required option --db');
    expect(oneLine(await run(['classify', '--models', p('models'), '--input', p('tgt', 'points.csv.gz')]))).toMatch(/give --out .*--db/);
  });
});
