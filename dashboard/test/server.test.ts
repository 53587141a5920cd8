import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readPredictions, readTruth, startDashboard, type Dashboard, type DashboardOptions } from '@cotrans/dashboard';
import { TOKENS, fixtureDir, fleetCsv, raw, writeHeaders } from './helpers.js';

let dash: Dashboard | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = async (path: string): Promise<any> => (await fetch(new URL(path, dash!.url))).json();
afterEach(async () => {
  await dash?.close();
  dash = undefined;
});

async function start(extra: Partial<DashboardOptions> = {}) {
  const f = await fixtureDir();
  dash = await startDashboard({ predictions: await readPredictions(f.predictions), truth: await readTruth(f.truth), imagesDir: f.images, reviewsDb: f.db, tokens: TOKENS, ...extra });
  return f;
}

const post = (id: string, body: unknown, headers: Record<string, string> = writeHeaders(TOKENS[0].token)) =>
  fetch(new URL(`api/vehicles/${id}/review`, dash!.url), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const ids = (res: { rows: { vehicleId: string }[] }) => res.rows.map((r) => r.vehicleId);

describe('dashboard API', () => {
  it('summarises, filters, sorts, searches and pages vehicles', async () => {
    await start();
    const s = await getJson('api/summary');
    expect(s).toMatchObject({ total: 5, shared: 2, private: 3, flagged: 1, disagree: 1, uncertain: 2, reviewed: 0, truthAccuracy: 0.8 });
    expect(s.histogram).toHaveLength(20);
    expect(s.histogram.reduce((a: number, b: number) => a + b, 0)).toBe(5);
    expect(ids(await getJson('api/vehicles?label=shared&sort=p_shared'))).toEqual(['taxi-2', 'taxi-1']);
    expect((await getJson('api/vehicles?sort=uncertainty')).rows[0].vehicleId).toBe('taxi-2');
    expect(ids(await getJson('api/vehicles?filter=disagree'))).toEqual(['taxi-2']);
    expect(ids(await getJson('api/vehicles?disagree=1'))).toEqual(['taxi-2']);
    expect(ids(await getJson('api/vehicles?confidence=low&sort=vehicle_id'))).toEqual(['car-2', 'taxi-2']);
    expect(ids(await getJson('api/vehicles?confidence=high&label=private&sort=vehicle_id'))).toEqual(['car-1', 'car-3']);
    expect(ids(await getJson('api/vehicles?flagged=1'))).toEqual(['car-2']);
    expect(ids(await getJson('api/vehicles?q=TAXI&sort=vehicle_id'))).toEqual(['taxi-1', 'taxi-2']);
    expect(ids(await getJson('api/vehicles?q=car-&sort=-p_shared'))).toEqual(['car-2', 'car-3', 'car-1']);
    const page = await getJson('api/vehicles?sort=vehicle_id&offset=2&limit=2');
    expect(page).toMatchObject({ total: 5, offset: 2, limit: 2 });
    expect(ids(page)).toEqual(['car-3', 'taxi-1']);
    expect((await getJson('api/vehicles?limit=100000')).limit).toBe(500);
    // The review queue: unreviewed, most uncertain plus most disputed first.
    expect(ids(await getJson('api/vehicles?reviewed=0&sort=-priority')).slice(0, 3)).toEqual(['taxi-2', 'car-2', 'car-3']);
  });

  it('stores verdicts under the token\'s reviewer, keeps the history, and rejects bad reviews by field', async () => {
    const f = await start();
    expect((await post('car-2', { verdict: 'private' })).status).toBe(201);
    const second = await post('car-2', { verdict: 'shared', note: 'zone parking, many drivers' }, writeHeaders(TOKENS[1].token));
    expect(second.status).toBe(201);
    expect(await second.json()).toMatchObject({ vehicleId: 'car-2', verdict: 'shared', reviewer: 'bo' });
    const bad = await post('car-2', { verdict: 'maybe' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/field verdict/);
    const forged = await post('car-2', { verdict: 'shared', reviewer: 'someone-else' });
    expect(forged.status).toBe(400);
    expect((await forged.json()).error).toMatch(/field reviewer: the reviewer is the token's identity/);
    expect((await post('nope', { verdict: 'shared' })).status).toBe(404);
    expect((await post('car-1', '{')).status).toBe(400);
    expect((await post('car-1', { verdict: 'shared', note: 'x'.repeat(2001) })).status).toBe(400);

    const detail = await getJson('api/vehicles/car-2');
    expect(detail.review).toMatchObject({ verdict: 'shared', reviewer: 'bo' });
    expect(detail.history.map((h: { reviewer: string; verdict: string }) => `${h.reviewer}:${h.verdict}`)).toEqual(['ana:private', 'bo:shared']);
    expect(ids(await getJson('api/vehicles?reviewed=1'))).toEqual(['car-2']);
    expect(ids(await getJson('api/vehicles?reviewed=0&sort=vehicle_id'))).toEqual(['car-1', 'car-3', 'taxi-1', 'taxi-2']);
    const s = await getJson('api/summary');
    expect(s).toMatchObject({ reviewed: 1, reviewAgreement: 0 });

    await dash!.close();
    dash = undefined;
    const db = new Database(f.db, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) n FROM reviews').get()).toEqual({ n: 2 });
    expect(db.prepare('SELECT vehicle_id, review_id FROM latest_reviews').all()).toEqual([{ vehicle_id: 'car-2', review_id: 2 }]);
    db.close();
    // Verdicts survive a restart.
    dash = await startDashboard({ predictions: await readPredictions(f.predictions), reviewsDb: f.db });
    expect((await getJson('api/summary')).reviewed).toBe(1);
  });

  it('is read-only without tokens and says so; a write needs a known token', async () => {
    await start({ tokens: [] });
    expect(await getJson('api/session')).toEqual({ writable: false, reviewer: null });
    const ro = await post('car-1', { verdict: 'shared' });
    expect(ro.status).toBe(403);
    expect((await ro.json()).error).toMatch(/read-only.*--token-file or COTRANS_DASHBOARD_TOKEN/);
    await dash!.close();

    await start();
    expect(await getJson('api/session')).toEqual({ writable: true, reviewer: null });
    const who = await fetch(new URL('api/session', dash!.url), { headers: { authorization: `Bearer ${TOKENS[1].token}` } });
    expect(await who.json()).toEqual({ writable: true, reviewer: 'bo' });
    expect((await fetch(new URL('api/session', dash!.url), { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await post('car-1', { verdict: 'shared' }, writeHeaders())).status).toBe(401);
    expect((await post('car-1', { verdict: 'shared' }, writeHeaders('wrong-token-wrong-token'))).status).toBe(401);
    expect((await getJson('api/summary')).reviewed).toBe(0);
  });

  it('refuses cross-site writes: content type, custom header, Origin, Sec-Fetch-Site and Host', async () => {
    const lines: string[] = [];
    await start({ log: (l) => lines.push(l) });
    const good = writeHeaders(TOKENS[0].token);
    const { 'x-cotrans-review': _, ...noHeader } = good;
    const cases: [Record<string, string>, number, RegExp][] = [
      [{ ...good, 'content-type': 'text/plain' }, 415, /content-type application\/json/],
      [{ ...good, 'content-type': 'application/x-www-form-urlencoded' }, 415, /content-type/],
      [noHeader, 403, /x-cotrans-review/],
      [{ ...good, origin: 'http://evil.example' }, 403, /cross-origin write refused/],
      [{ ...good, origin: 'null' }, 403, /cross-origin write refused/],
      [{ ...good, 'sec-fetch-site': 'cross-site' }, 403, /cross-site write refused/],
      [{ ...good, 'sec-fetch-site': 'same-site' }, 403, /cross-site write refused/],
    ];
    for (const [headers, status, msg] of cases) {
      const r = await post('car-1', { verdict: 'shared' }, headers);
      expect(r.status, JSON.stringify(headers)).toBe(status);
      expect((await r.json()).error).toMatch(msg);
    }
    expect(lines.filter((l) => l.startsWith('dashboard: refused POST'))).toHaveLength(cases.length);
    const host = new URL(dash!.url).host;
    const sameOrigin = await post('car-1', { verdict: 'shared' }, { ...good, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
    expect(sameOrigin.status).toBe(201);

    // DNS rebinding: the name resolves to us, but it is not ours.
    for (const path of ['/', '/api/summary', '/api/vehicles/car-1']) {
      const r = await raw(dash!.url, { path, headers: { host: `evil.example:${new URL(dash!.url).port}` } });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/host 'evil.example' is not one this dashboard serves/);
    }
    expect((await raw(dash!.url, { path: '/api/summary', headers: { host: `localhost:${new URL(dash!.url).port}` } })).status).toBe(200);
    await dash!.close();
    dash = undefined;
    await start({ allowHosts: ['review.example.org'] });
    expect((await raw(dash!.url, { path: '/api/summary', headers: { host: 'review.example.org' } })).status).toBe(200);
  });

  it('sends CSP, nosniff and frame-ancestors on every response, and errors as JSON without a stack', async () => {
    await start();
    for (const path of ['', 'app.js', 'style.css', 'api/summary', 'api/vehicles', 'no/such', 'images/taxi-1.png']) {
      const r = await fetch(new URL(path, dash!.url));
      expect(r.headers.get('content-security-policy'), path).toMatch(/default-src 'none'.*script-src 'self'.*frame-ancestors 'none'/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
    const page = await (await fetch(dash!.url)).text();
    expect(page).toContain('<script type="module" src="/app.js"></script>');
    expect(page).not.toMatch(/<script(?![^>]*src=)[^>]*>/); // no inline script
    expect(page).not.toMatch(/<style|style="/);
    const js = await fetch(new URL('app.js', dash!.url));
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain('/api/vehicles?');

    for (const path of ['/api/vehicles/%E0%A4%A', '/images/%zz.png', '/api/vehicles/%/review']) {
      const r = await raw(dash!.url, { path, method: path.endsWith('review') ? 'POST' : 'GET', headers: { host: new URL(dash!.url).host } });
      expect(r.status, path).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(r.body)).toEqual({ error: 'malformed percent-escape in the URL' });
    }
    const nf = await fetch(new URL('api/nothing', dash!.url));
    expect(nf.status).toBe(404);
    const body = await nf.text();
    expect(JSON.parse(body)).toEqual({ error: 'no route GET /api/nothing' });
    expect(body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect((await fetch(new URL('api/vehicles/car-1', dash!.url), { method: 'DELETE' })).status).toBe(405);
    for (const path of ['api/summary', 'api/vehicles', 'api/reviews.csv', 'images/taxi-1.png', 'app.js']) {
      expect((await fetch(new URL(path, dash!.url), { method: 'POST', headers: writeHeaders(TOKENS[0].token), body: '{}' })).status, path).toBe(405);
    }
  });

  it('exports reviews as CSV that a spreadsheet cannot run, with CR and quotes quoted', async () => {
    await start();
    const notes = ['=HYPERLINK("http://evil.example","click")', '+1+2', '-3', '@SUM(A1)', '\tlead tab', '\rlead cr', 'a\rbare cr', 'plain, with comma'];
    const vehicles = ['taxi-1', 'taxi-2', 'car-1', 'car-2', 'car-3'];
    for (let i = 0; i < notes.length; i++) expect((await post(vehicles[i % vehicles.length], { verdict: 'shared', note: notes[i] })).status).toBe(201);
    const res = await fetch(new URL('api/reviews.csv', dash!.url));
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="reviews.csv"');
    const csv = await res.text();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('vehicle_id,predicted,p_shared,verdict,reviewer,note,reviewed_at');
    // The latest note per vehicle: notes[5..7] for taxi-1..car-1, notes[3..4] for car-2, car-3.
    const noteCell = (id: string) => lines.find((l) => l.startsWith(id + ','))!.split(',ana,')[1].replace(/,[^,]*$/, '');
    expect(noteCell('taxi-1')).toBe('"\'\rlead cr"');
    expect(noteCell('taxi-2')).toBe('"a\rbare cr"');
    expect(noteCell('car-1')).toBe('"plain, with comma"');
    expect(noteCell('car-2')).toBe('"\'@SUM(A1)"');
    expect(noteCell('car-3')).toBe('"\'\tlead tab"');
    for (const l of lines.slice(1, -1)) expect(l.split(',')[0]).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('exports every current label with its latest verdict, formulas neutralised', async () => {
    const f = await fixtureDir('vehicle_id,label,p_shared,p_rf,p_cnn,flags\n=1+2,shared,0.9,0.8,,\n@cmd,private,0.2,0.1,0.3,too_few_points\nplain,private,0.1,,,\n');
    dash = await startDashboard({ predictionsFile: f.predictions, reviewsDb: f.db, tokens: TOKENS });
    const csvOf = async (path: string) => (await fetch(new URL(path, dash!.url))).text();
    const [labels0, reviews0] = [await csvOf('api/labels.csv'), await csvOf('api/reviews.csv')];
    expect(reviews0.split('\r\n')).toHaveLength(2); // header only
    expect((await post('plain', { verdict: 'shared' })).status).toBe(201);
    // Both exports follow the new review (they are cached only until the data changes).
    expect(await csvOf('api/labels.csv')).not.toBe(labels0);
    expect((await csvOf('api/reviews.csv')).split('\r\n')[1]).toMatch(/^plain,private,0\.1000,shared,ana,,/);
    const res = await fetch(new URL('api/labels.csv', dash.url));
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="labels.csv"');
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe('vehicle_id,label,p_shared,p_rf,p_cnn,flags,verdict,reviewer,reviewed_at');
    expect(lines[1]).toBe(`"'=1+2",shared,0.9000,0.8000,,,,,`);
    expect(lines[2]).toBe(`"'@cmd",private,0.2000,0.1000,0.3000,too_few_points,,,`);
    expect(lines[3]).toMatch(/^plain,private,0\.1000,,,,shared,ana,\d{4}-\d\d-\d\dT/);
    expect(lines).toHaveLength(5);
  });

  it('keeps the latest review per vehicle in a table, backfilled once for a file from an older version', async () => {
    const f = await fixtureDir();
    const db = new Database(f.db);
    // The schema of older versions: no latest_reviews table, and no CHECK on verdict.
    db.exec(`CREATE TABLE reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, vehicle_id TEXT NOT NULL, verdict TEXT NOT NULL,
      note TEXT NOT NULL DEFAULT '', reviewer TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL)`);
    const ins = db.prepare('INSERT INTO reviews (vehicle_id, verdict, note, reviewer, at) VALUES (?, ?, ?, ?, ?)');
    ins.run('car-1', 'shared', '', 'old', 1);
    ins.run('car-1', 'private', '', 'old', 2);
    ins.run('taxi-1', 'shared', '', 'old', 3);
    db.close();
    dash = await startDashboard({ predictions: await readPredictions(f.predictions), reviewsDb: f.db, tokens: TOKENS });
    expect(await getJson('api/summary')).toMatchObject({ reviewed: 2, reviewAgreement: 1 });
    expect((await getJson('api/vehicles/car-1')).review).toMatchObject({ verdict: 'private', at: 2 });
    expect((await post('car-1', { verdict: 'unsure' })).status).toBe(201);
    await dash.close();
    dash = undefined;
    const check = new Database(f.db, { readonly: true });
    expect(check.prepare('SELECT vehicle_id, review_id FROM latest_reviews ORDER BY vehicle_id').all()).toEqual([
      { vehicle_id: 'car-1', review_id: 4 }, { vehicle_id: 'taxi-1', review_id: 3 },
    ]);
    // The latest review is read through the table's primary key, not by scanning reviews.
    const plan = check.prepare(`EXPLAIN QUERY PLAN SELECT r.* FROM latest_reviews l JOIN reviews r ON r.id = l.review_id WHERE l.vehicle_id = ?`).all('car-1') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' | ')).not.toMatch(/SCAN r\b|SCAN reviews/);
    check.close();
  });

  it('re-reads predictions.csv when it changes, keeping the last good file when the new one is bad', async () => {
    const f = await fixtureDir();
    const lines: string[] = [];
    dash = await startDashboard({ predictionsFile: f.predictions, reviewsDb: f.db, tokens: TOKENS, watchIntervalMs: 50, log: (l) => lines.push(l) });
    expect((await getJson('api/summary')).total).toBe(5);
    writeFileSync(f.predictions, 'vehicle_id,label,p_shared\nnew-1,shared,0.9\nnew-2,private,0.2\n');
    await expect.poll(async () => (await getJson('api/summary')).total, { timeout: 5000 }).toBe(2);
    expect(ids(await getJson('api/vehicles?sort=vehicle_id'))).toEqual(['new-1', 'new-2']);
    writeFileSync(f.predictions, 'vehicle_id,label,p_shared\nnew-1,shared,oops\n');
    await expect.poll(() => lines.some((l) => /kept the previous predictions: .*predictions\.csv:2: p_shared 'oops'/.test(l)), { timeout: 5000 }).toBe(true);
    expect((await getJson('api/summary')).total).toBe(2);
  });

  it('serves trajectory PNGs, and no path escapes the images folder', async () => {
    const f = await start();
    const ok = await fetch(new URL('images/taxi-1.png', dash!.url));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await ok.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    expect((await fetch(new URL('images/car-1.png', dash!.url))).status).toBe(404);
    await dash!.close();

    // A vehicle whose id is a path out of the folder, next to a file it would reach.
    writeFileSync(join(f.dir, 'secret.png'), 'not for you');
    mkdirSync(join(f.dir, 'images', 'sub'));
    writeFileSync(join(f.dir, 'images', 'sub', 'x.png'), 'nested');
    const evil = ['../secret', '..%2Fsecret', 'sub/x', '/etc/passwd', '..'];
    writeFileSync(join(f.dir, 'evil.csv'), 'vehicle_id,label,p_shared\n' + evil.map((id, i) => `"${id}",shared,0.${i + 1}\n`).join(''));
    dash = await startDashboard({ predictionsFile: join(f.dir, 'evil.csv'), imagesDir: f.images, reviewsDb: f.db });
    const host = new URL(dash.url).host;
    const paths = [
      '/images/..%2Fsecret.png', '/images/../secret.png', '/images/%2E%2E%2Fsecret.png', '/images/sub%2Fx.png', '/images/sub/x.png',
      '/images/%2Fetc%2Fpasswd.png', '/images/...png', '/app.js/../../src/server.ts', '/style.css%2F..%2Fapp.ts', '/../package.json',
      '/web/app.ts', '/dist/web/app.js', '/api/vehicles/..%2F..%2Fsecret',
    ];
    for (const path of paths) {
      const r = await raw(dash.url, { path, headers: { host } });
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.body, path).not.toMatch(/not for you|nested|import |root:/);
    }
  });

  it('keeps the image-lookup cache and the server\'s RSS bounded under a flood of ids', async () => {
    const f = await fixtureDir(fleetCsv(2000));
    // The server runs in its own process, so that its RSS is not the test's own fetch garbage.
    const server = fork(fileURLToPath(new URL('./serve.mjs', import.meta.url)), [f.predictions, f.db, f.images, '100'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const next = <T>() => new Promise<T>((ok) => server.once('message', (m) => ok(m as T)));
    try {
      const { url } = await next<{ url: string }>();
      const stats = () => { const p = next<{ rss: number; imageCache: number }>(); server.send('stats'); return p; };
      const flood = async (from: number, to: number, id: (i: number) => string) => {
        for (let i = from; i < to; i += 50) {
          await Promise.all(Array.from({ length: Math.min(50, to - i) }, (_, k) => fetch(new URL(`images/${encodeURIComponent(id(i + k))}.png`, url)).then((r) => r.arrayBuffer())));
        }
      };
      const real = (i: number) => `veh-${String(i).padStart(5, '0')}`;
      await flood(0, 2000, real); // every real vehicle once: the cache is full
      const before = await stats();
      expect(before.imageCache).toBe(100);
      // 15,000 invented ids of 2,000 characters: remembered, they would be 30 MB of keys alone.
      await flood(0, 15_000, (i) => `invented-${i}-${'x'.repeat(2000)}`);
      await flood(0, 2000, real);
      const after = await stats();
      expect(after.imageCache).toBeLessThanOrEqual(100);
      expect(after.rss - before.rss).toBeLessThan(20 * 1024 * 1024);
    } finally {
      server.send('stop');
      await new Promise((ok) => server.once('exit', ok));
    }
  });
});
