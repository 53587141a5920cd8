import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { WriteToken } from '@cotrans/dashboard';
import { migrateLabels, recordImages, recordLabels, recordModelVersion, type ModelSummary, type ScoringRecord } from '@cotrans/cotrans';
import { openStore, type Db } from '@cotrans/ingest';
import { mulberry32 } from '@cotrans/core';

export const PREDICTIONS = [
  'vehicle_id,label,p_shared,p_rf,p_cnn,flags',
  'taxi-1,shared,0.97,0.95,0.99,',
  'taxi-2,shared,0.58,0.70,0.41,',
  'car-1,private,0.03,0.05,0.01,',
  'car-2,private,0.40,0.45,0.30,too_few_points',
  'car-3,private,0.10,0.12,0.08,',
].join('\n') + '\n';

export const TOKENS: WriteToken[] = [
  { reviewer: 'ana', token: 'ana-0123456789abcdef' },
  { reviewer: 'bo', token: 'bo-fedcba9876543210' },
];

/** A temp dir with predictions.csv, labels.csv and one 24x24 grayscale PNG. */
export async function fixtureDir(predictions = PREDICTIONS): Promise<{ dir: string; predictions: string; truth: string; images: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cotrans-dash-'));
  const predictionsFile = join(dir, 'predictions.csv');
  writeFileSync(predictionsFile, predictions);
  const truth = join(dir, 'labels.csv');
  writeFileSync(truth, 'vehicle_id,label,stratum\ntaxi-1,shared,full_time\ntaxi-2,shared,part_time\ncar-1,private,private\ncar-2,shared,car_sharing\ncar-3,private,private\n');
  const images = join(dir, 'images');
  mkdirSync(images);
  const px = Buffer.alloc(24 * 24);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7) % 256;
  await sharp(px, { raw: { width: 24, height: 24, channels: 1 } }).toColourspace('b-w').png().toFile(join(images, 'taxi-1.png'));
  return { dir, predictions: predictionsFile, truth, images, db: join(dir, 'reviews.sqlite') };
}

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/**
 * One HTTP request sent as written: the path is not normalised (fetch would resolve `..`) and any
 * Host header can be set.
 */
export function raw(base: string, opts: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Headers of a write as the page sends it. */
export const writeHeaders = (token?: string): Record<string, string> => ({
  'content-type': 'application/json',
  'x-cotrans-review': '1',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

export const rng = mulberry32;

/** predictions.csv text for n generated vehicles. */
export function fleetCsv(n: number, seed = 1, id = (i: number) => `veh-${String(i).padStart(5, '0')}`): string {
  const r = rng(seed);
  const lines = ['vehicle_id,label,p_shared,p_rf,p_cnn,flags'];
  for (let i = 0; i < n; i++) {
    const p = r(), rf = r(), cnn = r();
    lines.push(`${id(i)},${p >= 0.5 ? 'shared' : 'private'},${p.toFixed(4)},${rf.toFixed(4)},${cnn.toFixed(4)},${r() < 0.1 ? 'too_few_points' : ''}`);
  }
  return lines.join('\n') + '\n';
}

export const DAY = 24 * 3600 * 1000;
export const T0 = Date.UTC(2026, 2, 2);
export const STORE_SUMMARY: ModelSummary = { rounds: 4, agreement: 0.93, domainDistance: { before: 0.41, after: 0.12 }, f1: null, members: 1, predictedSharedShare: 0.4, stopReason: 'converged' };

/** One scoring with a small feature record. */
export const scoring = (id: string, label: 'shared' | 'private', p: number, version: string, scoredAt: number, windowEnd = T0 + 7 * DAY): ScoringRecord => ({
  vehicleId: id, label, pShared: p, pRf: p + 0.05, pCnn: p - 0.05, modelVersion: version,
  windowStart: windowEnd - 7 * DAY, windowEnd, points: 500, scoredAt, flags: [], features: { night_share: p / 2, active_days: 7 },
});

/** A store with one model version, three labelled vehicles (car-2 was scored four days before the others) and taxi-1's image; the connection stays open. */
export function makeStore(): { path: string; db: Db } {
  const path = join(mkdtempSync(join(tmpdir(), 'cotrans-dash-store-')), 'cotrans.sqlite');
  const db = openStore(path);
  migrateLabels(db);
  recordModelVersion(db, { id: '20260301T000000Z-aaaaaaaa', createdAt: '2026-03-01T00:00:00.000Z', summary: STORE_SUMMARY });
  recordLabels(db, [
    scoring('taxi-1', 'shared', 0.9, '20260301T000000Z-aaaaaaaa', T0 + 8 * DAY),
    scoring('car-1', 'private', 0.1, '20260301T000000Z-aaaaaaaa', T0 + 8 * DAY),
    scoring('car-2', 'private', 0.45, '20260301T000000Z-aaaaaaaa', T0 + 4 * DAY, T0 + 3 * DAY),
  ]);
  recordImages(db, 'taxi-1', [{ name: 'aggregate.png', png: Buffer.from('\x89PNG fake bytes') }, { name: '2026-03-02.png', png: Buffer.from('\x89PNG day one') }, { name: '2026-03-03.png', png: Buffer.from('\x89PNG day two') }]);
  return { path, db };
}

