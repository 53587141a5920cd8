import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { csvRow } from '@cotrans/core';
import type { Prediction } from './predictions.js';
import { ReviewStore, VERDICTS, type Review, type Verdict } from './reviews.js';
import { PAGE_HTML } from './page.js';
import { safeName } from '@cotrans/features';

export interface DashboardOptions {
  predictions: Prediction[];
  /** SQLite file for reviewers' verdicts (created if absent). */
  reviewsDb: string;
  /** Folder of trajectory PNGs from `cotrans features --images`; optional. */
  imagesDir?: string;
  /** Evaluation truth to show beside predictions (demo and experiments only). */
  truth?: Map<string, { label: string; stratum?: string }>;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface Dashboard {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Band of p_shared in which a label is worth a human look. */
const UNCERTAIN = [0.35, 0.65] as const;
const MAX_BODY = 64 * 1024;

type Row = Prediction & { review: Review | null; disagree: boolean; uncertain: boolean; hasImage: boolean };

function imagePath(dir: string | undefined, id: string): string | null {
  if (!dir) return null;
  // `cotrans features --images` writes DIR/<safeName(id)>/aggregate.png; a flat DIR/<id>.png also works.
  const safe = safeName(id);
  for (const p of [join(dir, safe, 'aggregate.png'), join(dir, `${safe}.png`)]) {
    if (existsSync(p)) return p;
  }
  return null;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error(`body larger than ${MAX_BODY} bytes`), { status: 413 });
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('body is not valid JSON'), { status: 400 });
  }
}

function validateReview(body: unknown, vehicleId: string): Review {
  const b = (body ?? {}) as Record<string, unknown>;
  const bad = (msg: string) => Object.assign(new Error(msg), { status: 400 });
  if (typeof b !== 'object' || Array.isArray(b)) throw bad('body must be a JSON object');
  if (!VERDICTS.includes(b.verdict as Verdict)) throw bad(`field verdict: must be one of ${VERDICTS.join(', ')}`);
  if (b.note !== undefined && (typeof b.note !== 'string' || b.note.length > 2000)) throw bad('field note: must be a string of at most 2000 characters');
  if (b.reviewer !== undefined && (typeof b.reviewer !== 'string' || b.reviewer.length > 128)) throw bad('field reviewer: must be a string of at most 128 characters');
  return { vehicleId, verdict: b.verdict as Verdict, note: (b.note as string) ?? '', reviewer: (b.reviewer as string) ?? '', at: Date.now() };
}


export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const store = new ReviewStore(opts.reviewsDb);
  const byId = new Map(opts.predictions.map((p) => [p.vehicleId, p]));
  const images = new Map<string, string | null>();
  const imageOf = (id: string) => {
    if (!images.has(id)) images.set(id, imagePath(opts.imagesDir, id));
    return images.get(id)!;
  };

  const rows = (): Row[] => {
    const latest = store.latest();
    return opts.predictions.map((p) => {
      const t = opts.truth?.get(p.vehicleId);
      return {
        ...p,
        ...(t ? { truth: t.label, ...(t.stratum ? { stratum: t.stratum } : {}) } : {}),
        review: latest.get(p.vehicleId) ?? null,
        disagree: p.pRf !== null && p.pCnn !== null && p.pRf >= 0.5 !== p.pCnn >= 0.5,
        uncertain: p.pShared > UNCERTAIN[0] && p.pShared < UNCERTAIN[1],
        hasImage: imageOf(p.vehicleId) !== null,
      };
    });
  };

  const summary = () => {
    const all = rows();
    const count = (f: (r: Row) => boolean) => all.filter(f).length;
    const withTruth = all.filter((r) => r.truth);
    const reviewed = all.filter((r) => r.review && r.review.verdict !== 'unsure');
    return {
      total: all.length,
      shared: count((r) => r.label === 'shared'),
      private: count((r) => r.label === 'private'),
      flagged: count((r) => r.flags.length > 0),
      uncertain: count((r) => r.uncertain),
      disagree: count((r) => r.disagree),
      reviewed: count((r) => r.review !== null),
      reviewAgreement: reviewed.length ? reviewed.filter((r) => r.review!.verdict === r.label).length / reviewed.length : null,
      truthAccuracy: withTruth.length ? withTruth.filter((r) => r.truth === r.label).length / withTruth.length : null,
      uncertainBand: UNCERTAIN,
    };
  };

  const list = (q: URLSearchParams) => {
    let all = rows();
    const label = q.get('label');
    if (label === 'shared' || label === 'private') all = all.filter((r) => r.label === label);
    const filter = q.get('filter');
    if (filter === 'uncertain') all = all.filter((r) => r.uncertain);
    else if (filter === 'disagree') all = all.filter((r) => r.disagree);
    else if (filter === 'flagged') all = all.filter((r) => r.flags.length > 0);
    else if (filter === 'unreviewed') all = all.filter((r) => !r.review);
    else if (filter === 'reviewed') all = all.filter((r) => r.review);
    const search = (q.get('q') ?? '').trim().toLowerCase();
    if (search) all = all.filter((r) => r.vehicleId.toLowerCase().includes(search));
    const sort = q.get('sort') ?? '-p_shared';
    const desc = sort.startsWith('-');
    const key = sort.replace(/^-/, '');
    const val = (r: Row): number | string =>
      key === 'vehicle_id' ? r.vehicleId : key === 'uncertainty' ? Math.abs(r.pShared - 0.5) : key === 'p_rf' ? (r.pRf ?? -1) : key === 'p_cnn' ? (r.pCnn ?? -1) : r.pShared;
    all.sort((a, b) => {
      const x = val(a), y = val(b);
      const c = x < y ? -1 : x > y ? 1 : a.vehicleId < b.vehicleId ? -1 : 1;
      return desc ? -c : c;
    });
    const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    const limit = Math.min(500, Math.max(1, Number(q.get('limit') ?? 100) || 100));
    return { total: all.length, offset, limit, rows: all.slice(offset, offset + limit) };
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (req.method === 'GET' && (path === '/' || path === '/index.html')) return send(res, 200, PAGE_HTML, 'text/html; charset=utf-8');
      if (req.method === 'GET' && path === '/api/summary') return send(res, 200, summary());
      if (req.method === 'GET' && path === '/api/vehicles') return send(res, 200, list(url.searchParams));
      if (req.method === 'GET' && path === '/api/reviews.csv') {
        const lines = ['vehicle_id,predicted,p_shared,verdict,reviewer,note,reviewed_at'];
        for (const r of rows()) {
          if (!r.review) continue;
          lines.push(csvRow([r.vehicleId, r.label, r.pShared.toFixed(4), r.review.verdict, r.review.reviewer, r.review.note, new Date(r.review.at).toISOString()]));
        }
        res.setHeader('content-disposition', 'attachment; filename="reviews.csv"');
        return send(res, 200, lines.join('\n') + '\n', 'text/csv; charset=utf-8');
      }
      const img = path.match(/^\/images\/(.+)\.png$/);
      if (req.method === 'GET' && img) {
        const file = imageOf(decodeURIComponent(img[1]));
        if (!file) return send(res, 404, { error: `no image for vehicle ${decodeURIComponent(img[1])}` });
        return send(res, 200, readFileSync(file), 'image/png');
      }
      const m = path.match(/^\/api\/vehicles\/([^/]+)(\/review)?$/);
      if (m) {
        const id = decodeURIComponent(m[1]);
        if (!byId.has(id)) return send(res, 404, { error: `unknown vehicle ${id}` });
        if (req.method === 'GET' && !m[2]) {
          const row = rows().find((r) => r.vehicleId === id)!;
          return send(res, 200, { ...row, history: store.history(id) });
        }
        if (req.method === 'POST' && m[2]) {
          const review = validateReview(await readJson(req), id);
          store.add(review);
          return send(res, 201, review);
        }
        return send(res, 405, { error: `${req.method} not allowed on ${path}` });
      }
      return send(res, 404, { error: `no route ${req.method} ${path}` });
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      if (!res.headersSent) send(res, status, { error: (err as Error).message });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  }).catch((err) => {
    store.close();
    throw err;
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}
