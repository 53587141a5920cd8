import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '@cotrans/ingest';
import { labelHistory, latestLabels, migrateLabels, modelVersion, modelVersions, pruneScoringFeatures, recordImages, recordLabels, recordModelVersion, scoringFeatures, vehicleImages, type ScoringRecord } from '@cotrans/cotrans';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cotrans-labels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const row = (vehicleId: string, label: 'shared' | 'private', scoredAt: number, extra: Partial<ScoringRecord> = {}): ScoringRecord => ({
  vehicleId,
  label,
  pShared: label === 'shared' ? 0.9 : 0.1,
  pRf: 0.5,
  pCnn: NaN,
  modelVersion: '20261202T141500Z-3fa9c1d2',
  windowStart: 1_700_000_000_000,
  windowEnd: 1_700_600_000_000,
  points: 1200,
  scoredAt,
  flags: [],
  ...extra,
});

describe('learning-stage tables', () => {
  it('keeps the latest label per vehicle and appends history only on a change', () => {
    const file = path.join(tmp, 'a.sqlite');
    let db = openStore(file);
    migrateLabels(db);
    const first = recordLabels(db, [row('car, 1', 'private', 1000), row('taxi-2', 'shared', 1000)]);
    expect(first.map((c) => [c.vehicleId, c.previous, c.label])).toEqual([['car, 1', null, 'private'], ['taxi-2', null, 'shared']]);
    // the same labels again: no change; a flag appearing is a change; a new label is a change
    expect(recordLabels(db, [row('car, 1', 'private', 2000), row('taxi-2', 'shared', 2000, { pShared: 0.95 })])).toEqual([]);
    const ch = recordLabels(db, [row('car, 1', 'shared', 3000, { modelVersion: 'v2' }), row('taxi-2', 'shared', 3000, { flags: ['stale'] })]);
    expect(ch.map((c) => [c.vehicleId, c.previous, c.label, c.flags])).toEqual([['car, 1', 'private', 'shared', []], ['taxi-2', 'shared', 'shared', ['stale']]]);
    // an older scoring arriving late, or another at the same time, changes nothing
    expect(recordLabels(db, [row('car, 1', 'private', 2500), row('car, 1', 'private', 3000)])).toEqual([]);
    db.close();

    db = openStore(file, { readonly: true });
    migrateLabels(db);
    const latest = latestLabels(db);
    expect(latest.map((l) => [l.vehicleId, l.label, l.scoredAt, l.modelVersion])).toEqual([['car, 1', 'shared', 3000, 'v2'], ['taxi-2', 'shared', 3000, '20261202T141500Z-3fa9c1d2']]);
    expect(latest[1].pShared).toBe(0.9);
    expect(latest[1].pCnn).toBeNaN();
    expect(latest[1].flags).toEqual(['stale']);
    expect(latestLabels(db, { modelVersion: 'v2' }).map((l) => l.vehicleId)).toEqual(['car, 1']);
    expect(latestLabels(db, { vehicleIds: ['taxi-2', 'nobody'] }).map((l) => l.vehicleId)).toEqual(['taxi-2']);
    expect(latestLabels(db, { label: 'private' })).toEqual([]);
    expect(latestLabels(db, { limit: 1, offset: 1 }).map((l) => l.vehicleId)).toEqual(['taxi-2']);
    expect(labelHistory(db, 'car, 1').map((h) => [h.previous, h.label, h.scoredAt])).toEqual([[null, 'private', 1000], ['private', 'shared', 3000]]);
    expect(labelHistory(db, 'nobody')).toEqual([]);
    db.close();
  });

  it('stores features per scoring, images as PNG blobs, and model versions once', () => {
    const db = openStore(path.join(tmp, 'b.sqlite'));
    migrateLabels(db);
    recordLabels(db, [row('v', 'private', 1, { features: { dist_mean: 12.5, odd: NaN } }), row('v', 'private', 2, { features: { dist_mean: 13 } })]);
    const f = scoringFeatures(db, 'v');
    expect(f.map((x) => [x.scoredAt, x.features.dist_mean])).toEqual([[1, 12.5], [2, 13]]);
    expect(f[0].features.odd).toBeNaN();
    recordLabels(db, [row('v', 'private', 3, { features: { dist_mean: 14 } }), row('w', 'shared', 1, { features: { dist_mean: 1 } })]);
    expect(pruneScoringFeatures(db, 2)).toBe(1);
    expect(scoringFeatures(db, 'v').map((x) => x.scoredAt)).toEqual([2, 3]);
    expect(scoringFeatures(db, 'w').map((x) => x.scoredAt)).toEqual([1]);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    recordImages(db, 'v', [{ name: 'day-2026-11-30.png', png }, { name: 'aggregate.png', png: png.subarray(0, 4) }]);
    recordImages(db, 'v', [{ name: 'aggregate.png', png }]);
    expect(vehicleImages(db, 'v').map((i) => [i.name, [...i.png]])).toEqual([['aggregate.png', [...png]]]);
    const summary = { rounds: 4, agreement: 0.93, domainDistance: { before: 0.4, after: 0.1 }, f1: null, members: 3, predictedSharedShare: 0.2, stopReason: 'stable' };
    recordModelVersion(db, { id: 'a', createdAt: '2026-12-02T14:15:00.000Z', summary });
    recordModelVersion(db, { id: 'a', createdAt: '2026-12-02T14:16:00.000Z', summary: { ...summary, rounds: 9 } });
    recordModelVersion(db, { id: 'b', createdAt: '2026-12-02T15:00:00.000Z', summary });
    expect(modelVersions(db).map((v) => [v.id, v.summary.rounds])).toEqual([['a', 4], ['b', 4]]);
    expect(modelVersion(db, 'a')?.summary.domainDistance).toEqual({ before: 0.4, after: 0.1 });
    expect(modelVersion(db, 'zz')).toBeUndefined();
    db.close();
  });
});

describe('recordLabels against a model of it (fast-check)', () => {
  it('latest = the newest scoring per vehicle; history = exactly the changes, in order; a batch delivered again changes nothing', () => {
    let n = 0;
    const scoring = fc.record({
      vehicleId: fc.constantFrom('a', 'b', 'c, d'),
      label: fc.constantFrom('shared' as const, 'private' as const),
      flags: fc.subarray(['stale', 'too_few_points']),
      scoredAt: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(scoring, { maxLength: 6 }), { maxLength: 6 }), (batches) => {
        const db = openStore(path.join(tmp, `prop-${n++}.sqlite`));
        migrateLabels(db);
        const latest = new Map<string, { label: string; flags: string; scoredAt: number }>();
        const history = new Map<string, string[]>();
        for (const batch of batches) {
          const rows = batch.map((b) => row(b.vehicleId, b.label, b.scoredAt, { flags: b.flags }));
          const changes = recordLabels(db, rows);
          const expected: string[] = [];
          for (const r of rows) {
            const prev = latest.get(r.vehicleId);
            if (prev && prev.scoredAt >= r.scoredAt) continue;
            const flags = JSON.stringify([...r.flags].sort());
            latest.set(r.vehicleId, { label: r.label, flags, scoredAt: r.scoredAt });
            if (prev && prev.label === r.label && prev.flags === flags) continue;
            expected.push(`${r.vehicleId}:${prev?.label ?? null}->${r.label}${flags}`);
            history.set(r.vehicleId, [...(history.get(r.vehicleId) ?? []), `${r.label}${flags}@${r.scoredAt}`]);
          }
          expect(changes.map((c) => `${c.vehicleId}:${c.previous}->${c.label}${JSON.stringify([...c.flags].sort())}`)).toEqual(expected);
          // the same batch again (a redelivery) appends nothing
          expect(recordLabels(db, rows)).toEqual([]);
        }
        const got = latestLabels(db);
        expect(got.map((l) => l.vehicleId)).toEqual([...latest.keys()].sort());
        for (const l of got) {
          expect({ label: l.label, flags: JSON.stringify(l.flags), scoredAt: l.scoredAt }).toEqual(latest.get(l.vehicleId));
          expect(labelHistory(db, l.vehicleId).map((h) => `${h.label}${JSON.stringify(h.flags)}@${h.scoredAt}`)).toEqual(history.get(l.vehicleId));
        }
        db.close();
      }),
      { numRuns: 60 },
    );
  });
});
