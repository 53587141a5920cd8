// The page over the pipeline's store in Debian's Chromium: the model card, the stale and flipped
// filters, a vehicle's label history and features, a verdict refused without a token and stored
// in the store with one, labels another connection commits appearing while the page is open, and
// the stream's health panel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { recordLabels, recordModelVersion } from '@cotrans/cotrans';
import { startDashboard, type Dashboard, type StreamView } from '@cotrans/dashboard';
import { migrateDeadLetters, migrateStreamHealth, recordDeadLetters, recordPartitionHealth, recordStreamStatus } from '@cotrans/ingest';
import { DAY, STORE_SUMMARY, T0, TOKENS, makeStore, scoring } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

let browser: Browser;
let dash: Dashboard;
const store = makeStore();
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  dash = await startDashboard({ storeFile: store.path, tokens: TOKENS, watchIntervalMs: 50 });
});
afterAll(async () => {
  await browser?.close();
  await dash?.close();
  store.db.close();
});

/** The page loaded, with the script errors it throws collected. */
async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(dash.url);
  await page.waitForSelector('body[data-ready="1"]');
  return { page, errors };
}

describe('review page over the store, in Chromium', () => {
  it('shows the model, filters stale labels, opens a vehicle\'s label history, reviews into the store and follows new labels', async () => {
    const { page, errors } = await openPage();
    expect(await page.locator('#model code').textContent()).toBe('20260301T000000Z-aaaaaaaa');
    expect(await page.locator('#model').textContent()).toContain('0.410 → 0.120');
    expect(await page.locator('.card[data-k="stale"] b').textContent()).toBe('1');
    await page.selectOption('#stale', '1');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1);
    expect(await page.locator('#rows tr').first().getAttribute('data-id')).toBe('car-2');
    await page.selectOption('#stale', '');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 3);
    // a key feature's range
    await page.selectOption('#feature', 'night_share');
    await page.fill('#fmin', '0.2');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 2);
    expect(await page.locator('#rows tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')).sort())).toEqual(['car-2', 'taxi-1']);
    await page.selectOption('#feature', '');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 3);
    // the same key feature as a sort order (night_share is p_shared / 2 in this store)
    const order = () => page.locator('#rows tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')));
    await page.selectOption('#sort', 'p_shared');
    await page.waitForFunction(() => document.querySelector('#rows tr')?.getAttribute('data-id') !== null);
    const byP = await order();
    await page.selectOption('#sort', '-feature:night_share');
    await page.waitForFunction((first) => document.querySelector('#rows tr')?.getAttribute('data-id') !== first, byP[0]);
    expect(await order()).toEqual([...byP].reverse());
    await page.selectOption('#sort', '-p_shared');

    // a vehicle with stored day images shows one per day, captioned with its date
    await page.locator('#rows tr[data-id="taxi-1"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#detail .day-images figure').length === 2);
    expect(await page.locator('#detail .day-images figcaption').allTextContents()).toEqual(['2026-03-02', '2026-03-03']);
    expect(await page.locator('#detail .day-images img').first().getAttribute('src')).toBe('/images/taxi-1/2026-03-02.png');

    await page.locator('#rows tr[data-id="car-1"]').click();
    // taxi-1's detail also holds one history entry: wait for car-1's
    await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'car-1' && document.querySelectorAll('#detail .label-history li').length === 1);
    expect(await page.locator('#detail .label-history li').textContent()).toMatch(/first label → private/);
    expect(await page.locator('#detail table.features').textContent()).toContain('night_share');
    const refused = await page.evaluate(async () => (await fetch('/api/vehicles/car-1/review', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-cotrans-review': '1' }, body: JSON.stringify({ verdict: 'shared' }),
    })).status);
    expect(refused).toBe(401);
    await page.fill('#token', TOKENS[1].token);
    await page.locator('#signin button').click();
    await page.waitForFunction(() => document.querySelector('#mode')?.textContent === 'reviewing as bo');
    await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('#detail button[data-v="shared"]')?.disabled === false);
    await page.fill('#note', 'parked at a car-sharing bay');
    await page.locator('#detail button[data-v="shared"]').click();
    await page.waitForFunction(() => document.querySelector('#rows tr[data-id="car-1"] .review')?.textContent === 'shared');
    expect(store.db.prepare('SELECT vehicle_id, verdict, reviewer, note FROM reviews').all()).toEqual([{ vehicle_id: 'car-1', verdict: 'shared', reviewer: 'bo', note: 'parked at a car-sharing bay' }]);
    // the reviewer agreed with nobody yet: the model said private
    expect(await page.locator('.card[data-k="accuracy on reviewed"] b').textContent()).toBe('0.0%');
    await page.screenshot({ path: ARTIFACTS + 'store-vehicle-reviewed.png' });

    // another process re-scores with a newer version: the open page follows within its refresh
    recordModelVersion(store.db, { id: '20260310T000000Z-bbbbbbbb', createdAt: '2026-03-10T00:00:00.000Z', summary: { ...STORE_SUMMARY, rounds: 6 } });
    recordLabels(store.db, [scoring('car-1', 'shared', 0.6, '20260310T000000Z-bbbbbbbb', T0 + 9 * DAY), scoring('van-9', 'private', 0.2, '20260310T000000Z-bbbbbbbb', T0 + 9 * DAY)]);
    await page.waitForFunction(() => document.querySelector('.card[data-k="vehicles"] b')?.textContent === '4', undefined, { timeout: 10_000 });
    expect(await page.locator('#model code').textContent()).toBe('20260310T000000Z-bbbbbbbb');
    expect(await page.locator('.card[data-k="accuracy on reviewed"] b').textContent()).toBe('100.0%');
    await page.selectOption('#flipped', '1');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1);
    await page.locator('#rows tr[data-id="car-1"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#detail .label-history li').length === 2);
    expect(await page.locator('#detail .label-history li').nth(1).textContent()).toMatch(/private → shared .*model bbbbbbbb/);
    await page.selectOption('#flipped', '');
    await page.screenshot({ path: ARTIFACTS + 'store-overview-live.png', fullPage: true });
    process.stdout.write(`screenshots: ${ARTIFACTS}store-vehicle-reviewed.png ${ARTIFACTS}store-overview-live.png\n`);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the stream panel once a stream has written its health: lag, rates, dead letters by reason, age; stale when old', async () => {
    const { page, errors } = await openPage();
    expect(await page.locator('#stream').isHidden()).toBe(true);
    expect(await (await fetch(`${dash.url}api/stream`)).json()).toEqual({ stream: null });

    // what `cotrans stream` writes with a batch, through the same functions
    migrateDeadLetters(store.db);
    migrateStreamHealth(store.db);
    const old = new Date(Date.now() - 120_000);
    store.db.transaction(() => {
      recordPartitionHealth(store.db, { group: 'g', topic: 'gps.points', partition: 0, committedOffset: '10', highWatermark: '15' }, old);
      recordStreamStatus(store.db, { group: 'g', instance: 'a:1', pointsPerS: 40, messagesPerS: 4 }, old);
    })();
    const stale = (await (await fetch(`${dash.url}api/stream`)).json()) as { stream: StreamView };
    expect(stale.stream).toMatchObject({ lag: { sum: 5, max: 5 }, pointsPerS: 40, messagesPerS: 4, deadLetters: [], stale: true });
    expect(stale.stream.ageS).toBeGreaterThanOrEqual(120);
    await page.waitForFunction(() => document.querySelector('#stream')?.classList.contains('stale') === true, undefined, { timeout: 10_000 });
    expect(await page.locator('#stream h3').textContent()).toMatch(/updated \d+ s ago \(stale\)/);

    store.db.transaction(() => {
      recordPartitionHealth(store.db, { group: 'g', topic: 'gps.points', partition: 1, committedOffset: '7', highWatermark: '9' });
      recordDeadLetters(store.db, [{ reason: '<img src=x onerror=alert(1)>', topic: 'gps.points', partition: 1, count: 2 }]);
      recordStreamStatus(store.db, { group: 'g', instance: 'a:1', pointsPerS: 12.5, messagesPerS: 3 });
    })();
    await page.waitForFunction(() => document.querySelector('#stream dd[data-k="lag"]')?.textContent === '7 / 5', undefined, { timeout: 10_000 });
    expect(await page.locator('#stream').evaluate((e) => e.classList.contains('stale'))).toBe(false);
    expect(await page.locator('#stream dd[data-k="points"]').textContent()).toBe('12.5');
    expect(await page.locator('#stream dd[data-k="messages"]').textContent()).toBe('3.0');
    expect(await page.locator('#stream dd[data-k="dead"]').textContent()).toBe('2');
    expect(await page.locator('#stream p[data-k="partitions"]').textContent()).toBe('lag by partition: 0: 5 · 1: 2');
    // a reason is text, never markup
    expect(await page.locator('#stream .reasons li').textContent()).toBe('2 × <img src=x onerror=alert(1)>');
    expect(await page.locator('#stream img').count()).toBe(0);
    await page.screenshot({ path: ARTIFACTS + 'store-stream-panel.png' });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
