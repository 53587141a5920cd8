// Every CSV the project writes and reads again round-trips whatever the vehicle ids hold (commas,
// quotes, edge spaces, non-ASCII): predictions, labels, features.
import { afterAll, beforeAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { csvRow, hasControl } from '@cotrans/core';
import { FEATURE_COLUMNS, featuresToCsv, parseFeaturesCsv } from '@cotrans/features';
import { readLabels, readPredictions, writePredictions, type PredictionRow } from '@cotrans/cotrans';

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-csv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// what validation lets through as a vehicle id: 1-128 characters, no control character
const vehicleId = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).filter((s) => !hasControl(s) && s.trim() !== '');
const ids = fc.uniqueArray(vehicleId, { minLength: 1, maxLength: 20 });
const p4 = fc.integer({ min: 0, max: 10_000 }).map((x) => x / 10_000);

test('predictions.csv: writePredictions then readPredictions gives the rows back', async () => {
  await fc.assert(
    fc.asyncProperty(ids, fc.array(fc.tuple(p4, p4, p4, fc.subarray(['too_few_points', 'one_active_day'])), { minLength: 20, maxLength: 20 }), async (vs, xs) => {
      const rows: PredictionRow[] = vs.map((vehicleId, i) => ({ vehicleId, shared: xs[i][0] >= 0.5, pShared: xs[i][0], pRf: xs[i][1], pCnn: xs[i][2], flags: xs[i][3] }));
      const f = path.join(dir, `pred-${n++}.csv`);
      await writePredictions(f, rows);
      expect(await readPredictions(f)).toEqual(rows);
    }),
    { numRuns: 60 },
  );
});

test('labels.csv written with csvRow is read back by readLabels', async () => {
  await fc.assert(
    fc.asyncProperty(ids, fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), async (vs, shared) => {
      const f = path.join(dir, `labels-${n++}.csv`);
      writeFileSync(f, ['vehicle_id,label,stratum', ...vs.map((v, i) => csvRow([v, shared[i] ? 'shared' : 'private', 'taxi, night']))].join('\n') + '\n');
      expect(await readLabels(f)).toEqual(vs.map((vehicleId, i) => ({ vehicleId, shared: shared[i], stratum: 'taxi, night' })));
    }),
    { numRuns: 60 },
  );
});

test('features.csv: featuresToCsv then parseFeaturesCsv gives the rows back', () => {
  fc.assert(
    fc.property(ids, (vs) => {
      const rows = vs.map((vehicleId, i) => ({ vehicleId, flags: i % 2 ? ['too_few_points'] : [], nPoints: i * 7, values: FEATURE_COLUMNS.map((_, j) => (j === 0 && i % 3 === 0 ? NaN : i + j / 8)) }));
      expect(parseFeaturesCsv(featuresToCsv(rows))).toEqual(rows);
    }),
    { numRuns: 60 },
  );
});
