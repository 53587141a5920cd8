import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { readPredictions, readTruth, startDashboard, type Dashboard } from '@cotrans/dashboard';
import { fixtureDir } from './helpers.js';

// Real Chromium from Debian (`apt-get install -y chromium`; .ci/run installs it). Never downloaded.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('review page in Chromium', () => {
  let browser: Browser;
  let dash: Dashboard;
  let db: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    const f = await fixtureDir();
    db = f.db;
    dash = await startDashboard({ predictions: await readPredictions(f.predictions), truth: await readTruth(f.truth), imagesDir: f.images, reviewsDb: f.db });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  it('lists vehicles, filters, shows the image and records a keyboard verdict', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dash.url);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.locator('#rows tr').count()).toBe(5);
    expect(await page.locator('.card[data-k="accuracy vs truth"] b').textContent()).toBe('80.0%');

    await page.selectOption('#filter', 'disagree');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1);
    expect(await page.locator('#rows tr').first().getAttribute('data-id')).toBe('taxi-2');

    await page.selectOption('#filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 5);
    await page.locator('#rows tr[data-id="taxi-1"]').click();
    const img = page.locator('#detail img');
    await img.waitFor();
    await page.waitForFunction(() => { const el = document.querySelector<HTMLImageElement>('#detail img'); return !!el && el.complete && el.naturalWidth > 0; });
    expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(24);

    await page.fill('#reviewer', 'ana');
    await page.locator('#reviewer').dispatchEvent('change');
    await page.locator('#rows tr[data-id="taxi-1"]').click();
    await page.keyboard.press('p');
    await page.waitForFunction(() => document.querySelector('#rows tr[data-id="taxi-1"] .review')?.textContent === 'private');
    // the detail panel re-renders after the list: wait for its history rather than racing it
    await page.waitForFunction(() => document.querySelectorAll('#history li').length === 1);
    expect(await page.locator('#history li').first().textContent()).toContain('ana: private');
    expect(errors).toEqual([]);
    await page.close();

    const rows = new Database(db, { readonly: true }).prepare('SELECT vehicle_id, verdict, reviewer FROM reviews').all();
    expect(rows).toEqual([{ vehicle_id: 'taxi-1', verdict: 'private', reviewer: 'ana' }]);
  });
});
