import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readTruth, startDashboard, type Dashboard } from '@cotrans/dashboard';
import { PREDICTIONS, TOKENS, fixtureDir, fleetCsv } from './helpers.js';

// Real Chromium from Debian (`apt-get install -y chromium`; .ci/run installs it). Never downloaded.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Screenshots for a human to look at; the folder is git-ignored. */
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const LAPTOP = { width: 1366, height: 768 };

const XSS_ID = '<img src=x onerror=window.__xss=1>';
const XSS_VERDICT = '<img src=x onerror=window.__xss=2>';
const XSS_NOTE = '<script>window.__xss=3</script><b>bold?</b>';

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
});

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: LAPTOP });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  return { page, errors };
}

const reviewRows = (db: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT vehicle_id, verdict, reviewer, note FROM reviews ORDER BY id').all();
  } finally {
    d.close();
  }
};

describe('review page in Chromium', () => {
  let dash: Dashboard;
  let db: string;
  beforeAll(async () => {
    const f = await fixtureDir();
    db = f.db;
    dash = await startDashboard({ predictionsFile: f.predictions, truth: await readTruth(f.truth), imagesDir: f.images, reviewsDb: f.db, tokens: TOKENS });
  });
  afterAll(async () => {
    await dash?.close();
  });

  it('shows the overview, filters, opens a vehicle, refuses a verdict without a token and records one with it', async () => {
    const { page, errors } = await open(dash.url);
    expect(await page.locator('#rows tr').count()).toBe(5);
    expect(await page.locator('.card[data-k="accuracy vs truth"] b').textContent()).toBe('80.0%');
    expect(await page.locator('#bars i').count()).toBe(20);
    expect(await page.locator('#mode').textContent()).toBe('read-only until you sign in with your token');

    await page.selectOption('#disagree', '1');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1);
    expect(await page.locator('#rows tr').first().getAttribute('data-id')).toBe('taxi-2');
    await page.selectOption('#disagree', '');
    await page.selectOption('#confidence', 'high');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 3);
    await page.selectOption('#confidence', '');
    await page.fill('#q', 'car');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 3);
    await page.fill('#q', '');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 5);

    await page.locator('#rows tr[data-id="taxi-1"]').click();
    await page.waitForFunction(() => { const el = document.querySelector<HTMLImageElement>('#detail img'); return !!el && el.complete && el.naturalWidth > 0; });
    expect(await page.locator('#detail img').evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(24);
    expect(await page.locator('#detail button[data-v="shared"]').isDisabled()).toBe(true);
    await page.keyboard.press('p');
    await page.waitForSelector('#toast:not([hidden])');
    expect(await page.locator('#toast').textContent()).toMatch(/^Read-only: sign in/);
    // The page's guard aside, the server refuses a write without a token.
    const status = await page.evaluate(async () => (await fetch('/api/vehicles/taxi-1/review', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-cotrans-review': '1' }, body: JSON.stringify({ verdict: 'private' }),
    })).status);
    expect(status).toBe(401);
    expect(reviewRows(db)).toEqual([]);
    await page.screenshot({ path: ARTIFACTS + 'overview-read-only.png' });

    await page.fill('#token', 'not-a-real-token-at-all');
    await page.locator('#signin button').click();
    await page.waitForFunction(() => /Sign-in failed: token not recognised/.test(document.querySelector('#toast')?.textContent ?? ''));
    await page.fill('#token', TOKENS[0].token);
    await page.locator('#signin button').click();
    await page.waitForFunction(() => document.querySelector('#mode')?.textContent === 'reviewing as ana');
    await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('#detail button[data-v="shared"]')?.disabled === false);

    await page.fill('#note', 'home every night');
    await page.locator('#detail button[data-v="private"]').click();
    await page.waitForFunction(() => document.querySelector('#rows tr[data-id="taxi-1"] .review')?.textContent === 'private');
    await page.waitForFunction(() => document.querySelectorAll('#history li').length === 1);
    expect(await page.locator('#history li').first().textContent()).toMatch(/ana: private home every night$/);
    // Keyboard: j moves to the next row, u records "unsure".
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'taxi-2');
    await page.keyboard.press('u');
    await page.waitForFunction(() => document.querySelector('#rows tr[data-id="taxi-2"] .review')?.textContent === 'unsure');
    expect(await page.locator('.card[data-k="reviewed"] b').textContent()).toBe('2');
    await page.locator('#queue').click();
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 3);
    expect(await page.locator('#rows tr').first().getAttribute('data-id')).toBe('car-2');
    await page.screenshot({ path: ARTIFACTS + 'vehicle-reviewed.png' });
    expect(reviewRows(db)).toEqual([
      { vehicle_id: 'taxi-1', verdict: 'private', reviewer: 'ana', note: 'home every night' },
      { vehicle_id: 'taxi-2', verdict: 'unsure', reviewer: 'ana', note: '' },
    ]);
    expect(errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
    await page.close();
  });

  it('refuses writes from a page on another origin: a no-cors fetch and an auto-submitted text/plain form', async () => {
    const lines: string[] = [];
    const f = await fixtureDir();
    const target = await startDashboard({ predictionsFile: f.predictions, reviewsDb: f.db, tokens: TOKENS, log: (l) => lines.push(l) });
    const action = new URL('api/vehicles/car-1/review', target.url).href;
    // The classic CSRF pair: a text/plain form whose body reads as JSON, and a no-cors fetch.
    const attacker = `<!doctype html><body>
<form id="f" method="POST" action="${action}" enctype="text/plain"><input name='{"verdict":"shared","note":"' value='csrf form"}'></form>
<script>
fetch(${JSON.stringify(action)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' },
  body: JSON.stringify({ verdict: 'shared', note: 'csrf fetch' }) })
  .finally(() => document.getElementById('f').submit());
</script></body>`;
    const evil: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attacker));
    await new Promise<void>((ok) => evil.listen(0, '127.0.0.1', () => ok()));
    try {
      const page = await browser.newPage();
      const formPost = page.waitForResponse((r) => r.url() === action && r.request().resourceType() === 'document');
      // Another origin: another host name and another port.
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      expect((await formPost).status()).toBe(403);
      await expect.poll(() => lines.filter((l) => l.startsWith('dashboard: refused POST')).length, { timeout: 5000 }).toBe(2);
      await page.close();
    } finally {
      await target.close();
      await new Promise<void>((ok) => evil.close(() => ok()));
    }
    // Refused by the cross-site checks themselves, before any token is looked at.
    for (const l of lines.filter((x) => x.startsWith('dashboard: refused POST'))) expect(l).toMatch(/403 cross-origin write refused \(Origin http:\/\/localhost:\d+\)/);
    expect(reviewRows(f.db)).toEqual([]);
  });
});

describe('review page against hostile data', () => {
  it('renders ids, notes and verdicts from a database without the CHECK constraint as text', async () => {
    const f = await fixtureDir(PREDICTIONS + `${XSS_ID},shared,0.51,0.9,0.1,<b>flag</b>\n`);
    const d = new Database(f.db);
    d.exec(`CREATE TABLE reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, vehicle_id TEXT NOT NULL, verdict TEXT NOT NULL,
      note TEXT NOT NULL DEFAULT '', reviewer TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL)`);
    d.prepare('INSERT INTO reviews (vehicle_id, verdict, note, reviewer, at) VALUES (?, ?, ?, ?, ?)').run(XSS_ID, XSS_VERDICT, XSS_NOTE, '<i>rev</i>', Date.UTC(2026, 0, 5));
    d.close();
    const dash = await startDashboard({ predictionsFile: f.predictions, reviewsDb: f.db });
    try {
      const { page, errors } = await open(dash.url);
      expect(await page.locator('#mode').textContent()).toBe('read-only: this server has no review tokens');
      expect(await page.locator('#signin').isHidden()).toBe(true);
      const row = page.locator('#rows tr').filter({ hasText: 'onerror' });
      expect(await row.getAttribute('data-id')).toBe(XSS_ID);
      expect(await row.locator('td').first().textContent()).toBe(XSS_ID);
      expect(await row.locator('td.review').textContent()).toBe(XSS_VERDICT);
      expect(await row.locator('.tag.warn').textContent()).toBe('<b>flag</b>');
      await row.click();
      await page.waitForFunction((id) => document.querySelector('#detail h2')?.textContent === id, XSS_ID);
      expect(await page.locator('#history li').first().textContent()).toBe(`2026-01-05 00:00 <i>rev</i>: ${XSS_VERDICT} ${XSS_NOTE}`);
      expect(await page.locator('#detail p.muted').last().textContent()).toBe('This server is read-only: it takes no verdicts.');
      expect(await page.locator('.card[data-k="accuracy on reviewed"]').count()).toBe(0); // an unknown verdict decides nothing
      // Nothing became markup: no element from the data, no script ran.
      expect(await page.evaluate(() => document.querySelectorAll('main img:not([alt="7-day trajectory image"]), main script, main b:not(#history b), main i:not(.bar i)').length)).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(errors).toEqual([]);
      await page.screenshot({ path: ARTIFACTS + 'hostile-data.png' });
      await page.close();
    } finally {
      await dash.close();
    }
  });
});

describe('review page at fleet size', () => {
  it('pages a 10,000-vehicle fleet', async () => {
    const f = await fixtureDir(fleetCsv(10_000));
    const dash = await startDashboard({ predictionsFile: f.predictions, reviewsDb: f.db, tokens: TOKENS });
    try {
      const { page, errors } = await open(dash.url);
      expect(await page.locator('#rows tr').count()).toBe(50);
      expect(await page.locator('#page').textContent()).toBe('page 1 of 200 · 10000 vehicles');
      await page.locator('#next').click();
      await page.waitForFunction(() => document.querySelector('#page')?.textContent?.startsWith('page 2 of 200'));
      await page.selectOption('#sort', 'uncertainty');
      await page.waitForFunction(() => document.querySelector('#page')?.textContent?.startsWith('page 1 of 200'));
      await page.screenshot({ path: ARTIFACTS + 'fleet-10000.png' });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await dash.close();
    }
  });
});
