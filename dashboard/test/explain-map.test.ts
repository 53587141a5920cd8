// The vehicle page's map and explanation on a real pipeline: a simulated fleet, a trained model
// version, its scoring in a store, the dashboard with --input (tracks) and --models (explanation);
// the API checked against the model's own numbers, then the page in Debian's Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { writeFleet } from '@cotrans/fixtures';
import { openStore } from '@cotrans/ingest';
import { loadFleet, readLabels, storeScoring, trainCoTrans, type CoTransBag, type CoTransModel } from '@cotrans/cotrans';
import { startDashboard, type Dashboard } from '@cotrans/dashboard';
import { TOKENS } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const TZ = 'Europe/Berlin';
let dir: string;
let dash: Dashboard;
let version: string;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-dash-explain-'));
  const p = (...s: string[]) => path.join(dir, ...s);
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, p('src'));
  await writeFleet({ preset: 'target', vehicles: 30, days: 3, seed: 4, sharedShare: 0.3 }, p('tgt'));
  const source = await loadFleet(p('src', 'points.csv.gz'), { tz: TZ });
  const target = await loadFleet(p('tgt', 'points.csv.gz'), { tz: TZ });
  const out = await trainCoTrans({ source, sourceLabels: await readLabels(p('src', 'labels.csv')), target, tz: TZ }, { members: 1, seed: 0, cotrain: { maxRounds: 1, image: { cnn: { maxEpochs: 2 } } } });
  const model = out.model as CoTransModel | CoTransBag;
  version = await model.save(p('models'));
  const rows = await model.classify(target.features, target.images);
  const db = openStore(p('store.sqlite'));
  await storeScoring(db, { modelVersion: version, manifest: model.manifest, rows, fleet: target, images: true });
  db.close();
  model.dispose();
  dash = await startDashboard({ storeFile: p('store.sqlite'), tracksFile: p('tgt', 'points.csv.gz'), tracksTz: TZ, modelsDir: p('models'), tokens: TOKENS });
}, 180_000);
afterAll(async () => {
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = async (u: string): Promise<any> => (await fetch(new URL(u, dash.url))).json();

describe('vehicle page: map and explanation', () => {
  it('explains the forest\'s part exactly and serves the week\'s track by day with stops', async () => {
    const list = await getJson('api/vehicles?flagged=0&limit=500');
    expect(list.total).toBeGreaterThan(10);
    for (const row of list.rows.slice(0, 5)) {
      const d = await getJson(`api/vehicles/${encodeURIComponent(row.vehicleId)}`);
      const e = d.explanation;
      expect(e.modelVersion).toBe(version);
      // M1's columns, each read from the features stored with the scoring
      expect(e.features.length).toBeGreaterThanOrEqual(12);
      for (const f of e.features) expect(Object.hasOwn(d.features, f.column)).toBe(true);
      const sum = e.features.reduce((s: number, f: { contribution: number }) => s + f.contribution, 0);
      expect(e.bias + sum).toBeCloseTo(e.pRf, 9);
      // the stored p_rf is the forest's log-odds shifted by the cut: the explanation reproduces it
      expect(sigmoid(e.ensemble.zRf - e.ensemble.threshold)).toBeCloseTo(d.pRf, 6);
      // M2: a score per stored day image; the counted days give back the stored p_cnn (8-bit PNGs: close, not exact)
      const days = d.images.filter((n: string) => /^\d{4}-\d{2}-\d{2}\.png$/.test(n)).length;
      expect(e.cnnDays.days).toHaveLength(days);
      const counted = e.cnnDays.days.filter((x: { counted: boolean }) => x.counted);
      expect(counted).toHaveLength(Math.min(days, e.cnnDays.topDays));
      const zc = counted.reduce((s: number, x: { p: number }) => s + Math.log(Math.min(1 - 1e-5, Math.max(1e-5, x.p)) / (1 - Math.min(1 - 1e-5, Math.max(1e-5, x.p)))), 0) / counted.length;
      if (Math.abs(zc) < 4) expect(Math.abs(sigmoid(zc - e.ensemble.threshold) - d.pCnn)).toBeLessThan(0.02);
      for (let i = 1; i < e.features.length; i++) expect(Math.abs(e.features[i - 1].contribution)).toBeGreaterThanOrEqual(Math.abs(e.features[i].contribution));
      expect(d.hasTrack).toBe(true);
      const t = await getJson(`api/vehicles/${encodeURIComponent(row.vehicleId)}/track`);
      expect(t.days.length).toBeGreaterThanOrEqual(1);
      expect(t.days.length).toBeLessThanOrEqual(4);
      for (const day of t.days) expect(day.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const pts = t.days.flatMap((x: { points: number[][] }) => x.points);
      expect(pts.length).toBeLessThanOrEqual(2000);
      for (let i = 1; i < pts.length; i++) expect(pts[i][2]).toBeGreaterThanOrEqual(pts[i - 1][2]);
      for (const s of t.stops) expect(s.end - s.start).toBeGreaterThanOrEqual(15 * 60 * 1000);
    }
    expect((await fetch(new URL('api/vehicles/nope/track', dash.url))).status).toBe(404);
  });

  it('shows the map (zoom and pan) and the explanation in Chromium', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(dash.url);
      await page.waitForSelector('body[data-ready="1"]');
      await page.selectOption('#label', 'shared');
      await page.waitForFunction(() => document.querySelectorAll('#rows tr').length > 0 && Array.from(document.querySelectorAll('#rows tr td:nth-child(2)')).every((td) => td.textContent === 'shared'));
      await page.locator('#rows tr').first().click();
      await page.waitForSelector('#track polyline');
      expect(await page.locator('#track polyline').count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#detail .explain-features tr').count()).toBe(8);
      expect(await page.locator('#detail .explain').textContent()).toMatch(/shared when z > -?\d+\.\d\d/);
      // the explanation's eight columns against each class's distribution
      expect(await page.locator('#detail .dist-table tr').count()).toBe(8);
      expect(await page.locator('#detail .cnn-days tr').count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#detail .dist-table .box.shared').count()).toBe(8);
      expect(await page.locator('#detail .dist-table .mark').count()).toBe(8);
      await page.locator('#track').scrollIntoViewIfNeeded();
      const before = await page.locator('#track').getAttribute('viewBox');
      const box = (await page.locator('#track').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -300);
      await page.waitForFunction((b) => document.querySelector('#track')?.getAttribute('viewBox') !== b, before);
      const zoomed = (await page.locator('#track').getAttribute('viewBox'))!.split(' ').map(Number);
      expect(zoomed[2]).toBeLessThan(300);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 20);
      await page.mouse.up();
      const panned = (await page.locator('#track').getAttribute('viewBox'))!.split(' ').map(Number);
      expect(panned[0]).toBeLessThan(zoomed[0]);
      await page.locator('#detail').screenshot({ path: ARTIFACTS + 'vehicle-map-explanation.png' });
      await page.screenshot({ path: ARTIFACTS + 'store-vehicle-page.png', fullPage: true });
      await page.locator('#detail .distributions').scrollIntoViewIfNeeded();
      await page.locator('#detail').screenshot({ path: ARTIFACTS + 'vehicle-explanation.png' });
      process.stdout.write(`screenshots: ${ARTIFACTS}vehicle-map-explanation.png ${ARTIFACTS}vehicle-explanation.png ${ARTIFACTS}store-vehicle-page.png\n`);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
