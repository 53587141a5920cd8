// npm run bench:dashboard [-- VEHICLES REVIEWS SECONDS CONNECTIONS ROUNDS]: latency of the review dashboard
// over a store at fleet size (default 10,000 labelled vehicles with features and a label history,
// 200,000 stored reviews, 50 keep-alive clients, 5 s per URL,
// 3 rounds alternating dashboard and peer, the median round reported: a shared machine is noisy),
// against a named peer in the same run: a bare node:http server answering the same bytes from
// precomputed buffers. Loopback only; each server runs in its own process, autocannon in this one.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { FEATURE_COLUMNS } from '../features/dist/index.js';
import { mulberry32 as rng, migrateLabels, recordLabels, recordModelVersion } from '../cotrans/dist/index.js';
import { openStore } from '../ingest/dist/index.js';

const TARGET_P99_MS = 50;
const TOKEN = 'bench-0123456789abcdef';

if (process.argv[2] === '--serve-dashboard') {
  const { startDashboard } = await import('../dashboard/dist/index.js');
  const [db] = process.argv.slice(3);
  const t0 = performance.now();
  const dash = await startDashboard({ storeFile: db, tokens: [{ reviewer: 'bench', token: TOKEN }] });
  process.send({ url: dash.url, startMs: performance.now() - t0 });
  process.on('message', (m) => { if (m === 'rss') process.send({ rss: process.memoryUsage().rss }); });
} else if (process.argv[2] === '--serve-peer') {
  // The peer: the same responses, precomputed, from a plain node:http server.
  process.once('message', (bodies) => {
    const map = new Map(bodies.map((b) => [b.path, { body: Buffer.from(b.body, 'base64'), type: b.type }]));
    const server = createServer((req, res) => {
      const hit = map.get(req.url);
      if (!hit) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': hit.type, 'cache-control': 'no-store' });
      res.end(hit.body);
    });
    server.listen(0, '127.0.0.1', () => process.send({ url: `http://127.0.0.1:${server.address().port}/` }));
  });
} else {
  await main();
}

function child(args) {
  const p = fork(new URL(import.meta.url).pathname, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise((resolve, reject) => { p.once('message', resolve); p.once('exit', (c) => reject(new Error(`server exited ${c}`))); });
  return { p, next };
}

function load(url, seconds, connections, paths) {
  // With paths, each request takes the next one: a crowd paging through different views.
  let n = 0;
  const requests = paths ? [{ setupRequest: (req) => ({ ...req, path: paths[n++ % paths.length] }) }] : undefined;
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1, ...(requests ? { requests } : {}) }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

/** Pages of 100 across sorts and filters, in a fixed shuffled order. */
function pagePaths(vehicles, r) {
  const views = ['sort=-p_shared', 'sort=uncertainty', 'sort=vehicle_id', 'sort=-disagreement&disagree=1', 'label=shared&sort=p_rf', 'confidence=low&sort=uncertainty', 'reviewed=0&sort=uncertainty', 'flagged=0&sort=-p_cnn'];
  const out = [];
  for (const v of views) for (let off = 0; off < vehicles; off += 100) out.push(`/api/vehicles?${v}&limit=100&offset=${off}`);
  for (let i = out.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [out[i], out[j]] = [out[j], out[i]]; }
  return out;
}

async function main() {
  const vehicles = +(process.argv[2] ?? 10_000), reviews = +(process.argv[3] ?? 200_000);
  const seconds = +(process.argv[4] ?? 5), connections = +(process.argv[5] ?? 50), rounds = +(process.argv[6] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'cotrans-dashbench-'));
  try {
    const r = rng(14);
    const ids = Array.from({ length: vehicles }, (_, i) => `veh-${String(i).padStart(6, '0')}`);
    const db = join(dir, 'cotrans.sqlite');
    const T0 = Date.UTC(2026, 2, 2);
    const scoring = (id, version, at) => {
      const p = r();
      return {
        vehicleId: id, label: p >= 0.5 ? 'shared' : 'private', pShared: p, pRf: r(), pCnn: r(), modelVersion: version,
        windowStart: at - 8 * 864e5, windowEnd: at - 864e5, points: 1200, scoredAt: at, flags: r() < 0.05 ? ['too_few_points'] : [],
        features: Object.fromEntries(FEATURE_COLUMNS.map((c) => [c, r()])),
      };
    };
    {
      // The learning stage's tables with two scorings of every vehicle by two versions (a label
      // history), then the dashboard's own tables (with the latest-review trigger); reviews go in raw.
      const store = openStore(db);
      migrateLabels(store);
      for (const [k, v] of ['20260301T000000Z-aaaaaaaa', '20260308T000000Z-bbbbbbbb'].entries()) {
        recordModelVersion(store, { id: v, createdAt: new Date(T0 + k * 7 * 864e5).toISOString(), summary: { rounds: 8, agreement: 0.9, domainDistance: { before: 0.4, after: 0.1 }, f1: null, members: 3, predictedSharedShare: 0.4, stopReason: 'converged' } });
        recordLabels(store, ids.map((id) => scoring(id, v, T0 + k * 7 * 864e5)));
      }
      const { ReviewStore } = await import('../dashboard/dist/index.js');
      new ReviewStore(store);
      store.close();
      const d = new Database(db);
      const ins = d.prepare('INSERT INTO reviews (vehicle_id, verdict, note, reviewer, at) VALUES (?, ?, ?, ?, ?)');
      const verdicts = ['shared', 'private', 'unsure'];
      d.transaction(() => {
        for (let i = 0; i < reviews; i++) ins.run(ids[Math.floor(r() * ids.length)], verdicts[Math.floor(r() * 3)], 'checked the week', `reviewer-${i % 7}`, 1_700_000_000_000 + i);
      })();
      d.close();
    }
    console.log(`dashboard bench: a store of ${vehicles} vehicles (2 scorings each, 32 features a scoring), ${reviews} stored reviews, ${connections} keep-alive clients, ${seconds} s per URL, median of ${rounds} rounds, loopback; peer: bare node:http answering the same bytes from buffers`);

    const dashChild = child(['--serve-dashboard', db]);
    const { url, startMs } = await dashChild.next();
    console.log(`dashboard start (read the latest labels, index, load latest reviews): ${startMs.toFixed(0)} ms`);
    const paths = [['/api/summary', 'application/json; charset=utf-8'], ['/api/vehicles?limit=100', 'application/json; charset=utf-8'], ['/api/vehicles/veh-000042', 'application/json; charset=utf-8'], ['/', 'text/html; charset=utf-8']];
    const bodies = [];
    for (const [path, type] of paths) bodies.push({ path, type, body: Buffer.from(await (await fetch(new URL(path, url))).arrayBuffer()).toString('base64') });
    const peerChild = child(['--serve-peer']);
    peerChild.p.send(bodies);
    const { url: peerUrl } = await peerChild.next();

    const checked = (what, x) => {
      if (x.errors || x.non2xx) throw new Error(`${what}: ${x.errors} errors, ${x.non2xx} non-2xx answers`);
      return x;
    };
    /** The round with the median p99. */
    const median = (xs) => xs.sort((a, b) => a.latency.p99 - b.latency.p99)[Math.floor(xs.length / 2)];
    const fmt = (x) => `p50 ${x.latency.p50} ms, p99 ${x.latency.p99} ms, ${Math.round(x.requests.average)} req/s`;
    const rows = [];
    for (const [path] of paths) {
      // Alternate the two servers so that both meet the same background load.
      const ours = [], peer = [];
      for (let i = 0; i < rounds; i++) {
        ours.push(checked(`dashboard ${path}`, await load(new URL(path, url).href, seconds, connections)));
        peer.push(checked(`peer ${path}`, await load(new URL(path, peerUrl).href, seconds, connections)));
      }
      const o = median(ours), p = median(peer);
      rows.push({ path, ours: o, peer: p });
      console.log(`${path.padEnd(24)} dashboard ${fmt(o)} | peer ${fmt(p)} | p99 ratio ${(o.latency.p99 / Math.max(1, p.latency.p99)).toFixed(2)}x, req/s ratio ${(o.requests.average / p.requests.average).toFixed(2)}`);
    }
    {
      const varied = pagePaths(vehicles, r);
      const runs = [];
      for (let i = 0; i < rounds; i++) runs.push(checked('varied pages', await load(url, seconds, connections, varied)));
      const o = median(runs);
      rows.push({ path: '/api/vehicles (varied)', ours: o });
      console.log(`${'/api/vehicles, varied'.padEnd(24)} dashboard ${fmt(o)} over ${varied.length} distinct pages (8 sorts/filters x every offset; no peer: it would need every page precomputed)`);
    }

    {
      // Vehicle pages: the row, its reviews, label history and features, read from the store per request.
      const details = Array.from({ length: 2000 }, () => `/api/vehicles/${ids[Math.floor(r() * ids.length)]}`);
      const runs = [];
      for (let i = 0; i < rounds; i++) runs.push(checked('vehicle pages', await load(url, seconds, connections, details)));
      const o = median(runs);
      rows.push({ path: '/api/vehicles/:id (varied)', ours: o });
      console.log(`${'/api/vehicles/:id, varied'.padEnd(24)} dashboard ${fmt(o)} over ${details.length} vehicles`);
    }

    {
      // Another process commits a scoring of a tenth of the fleet (new vehicles): time until the API shows them.
      const extra = Array.from({ length: Math.ceil(vehicles / 10) }, (_, i) => `new-${String(i).padStart(6, '0')}`);
      const w = openStore(db);
      const t0 = performance.now();
      recordLabels(w, extra.map((id) => scoring(id, '20260308T000000Z-bbbbbbbb', T0 + 8 * 864e5)));
      const tCommit = performance.now() - t0;
      w.close();
      for (;;) {
        const s = await (await fetch(new URL('api/summary', url))).json();
        if (s.total === vehicles + extra.length) break;
        await new Promise((res) => setTimeout(res, 10));
      }
      console.log(`labels committed by another process (${extra.length} new vehicles, commit ${tCommit.toFixed(0)} ms): shown by the API ${(performance.now() - t0 - tCommit).toFixed(0)} ms after the commit (poll every 1 s, then a rebuild)`);
    }

    // A verdict invalidates what depends on reviews: time the first answers after one.
    const post = await fetch(new URL('api/vehicles/veh-000001/review', url), {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-cotrans-review': '1', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ verdict: 'shared' }),
    });
    if (post.status !== 201) throw new Error(`review POST: ${post.status}`);
    for (const path of ['/api/summary', '/api/vehicles?reviewed=0&limit=100&sort=uncertainty']) {
      const t0 = performance.now();
      await (await fetch(new URL(path, url))).arrayBuffer();
      console.log(`first ${path} after a review: ${(performance.now() - t0).toFixed(1)} ms`);
    }
    dashChild.p.send('rss');
    const { rss } = await dashChild.next();
    console.log(`dashboard RSS after the run: ${(rss / 1048576).toFixed(0)} MB`);

    const chromium = '/usr/bin/chromium';
    if (existsSync(chromium)) {
      const { chromium: pw } = await import('playwright-core');
      const browser = await pw.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const t0 = performance.now();
      await page.goto(url);
      await page.waitForSelector('body[data-ready="1"]');
      console.log(`Chromium: navigation to a usable ${vehicles}-vehicle table: ${(performance.now() - t0).toFixed(0)} ms (target 1000 ms)`);
      await browser.close();
    }

    dashChild.p.kill();
    peerChild.p.kill();
    const api = rows.filter((x) => x.path.startsWith('/api/'));
    const worst = Math.max(...api.map((x) => x.ours.latency.p99));
    console.log(`target: API p99 under ${TARGET_P99_MS} ms at ${connections} clients: ${worst < TARGET_P99_MS ? 'met' : 'NOT met'} (worst API p99 ${worst} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
