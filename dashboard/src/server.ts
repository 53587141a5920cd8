import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { safeName } from '@cotrans/features';
import { readPredictions, type Prediction } from './predictions.js';
import { ReviewStore, VERDICTS, type Review, type Verdict } from './reviews.js';
import { Fleet, parseQuery, type Truth } from './fleet.js';
import { HttpError } from './errors.js';
import { LruCache } from './lru.js';
import { csvLine } from './csv.js';
import { makeAuthenticator, type WriteToken } from './tokens.js';
import { LOOPBACK_HOSTS, SECURITY_HEADERS, bearer, checkHost, checkWrite, decodePathPart, hostName } from './guard.js';
import { loadStaticFiles } from './static.js';
import { StoreSource } from './store-source.js';
import { readTracks } from './track.js';
import { cnnDayScores, explainVehicle, loadModel, resolveModelDir } from '@cotrans/cotrans';

export interface DashboardOptions {
  /** The vehicles to show; or give predictionsFile to read them and re-read the file when it changes. */
  predictions?: Prediction[];
  /** predictions.csv from `cotrans classify`, re-read when it changes (new labels appear without a restart). */
  predictionsFile?: string;
  /**
   * The pipeline's store (`cotrans run`, `classify --db`, `cotrans stream`): the vehicles are its
   * latest labels, polled so that labels and reviews other processes write appear without a
   * restart; reviews go into its tables. Instead of predictions / predictionsFile and reviewsDb.
   */
  storeFile?: string;
  /** GPS log the vehicles' tracks are read from once at start (the map), with its time zone for days. */
  tracksFile?: string;
  tracksTz?: string;
  /** Model directory whose current version explains the forest's part of each label (with storeFile: it needs the stored features). */
  modelsDir?: string;
  /** SQLite file for reviewers' verdicts (created if absent) beside predictions; not with storeFile. */
  reviewsDb?: string;
  /** Folder of trajectory PNGs from `cotrans features --images`; optional. */
  imagesDir?: string;
  /** Evaluation truth to show beside predictions (demo and experiments only). */
  truth?: Truth;
  /** Who may write reviews. None: the server is read-only. */
  tokens?: readonly WriteToken[];
  /** Host names accepted in the Host header besides loopback names and the listen address. */
  allowHosts?: readonly string[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Most image lookups remembered (vehicle id -> file). */
  imageCacheSize?: number;
  /** How often a predictionsFile or the store is polled for changes, ms. */
  watchIntervalMs?: number;
  /** One line per refused write, reload and internal error (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

export interface Dashboard {
  url: string;
  server: Server;
  /** Re-reads predictionsFile or the store's labels now (both are also re-read when they change). */
  reload(): Promise<void>;
  stats(): { vehicles: number; imageCache: number };
  close(): Promise<void>;
}

export const DEFAULT_IMAGE_CACHE = 4096;
export const DEFAULT_WATCH_INTERVAL_MS = 1000;
const MAX_BODY = 64 * 1024;
const MAX_NOTE = 2000;
const JSON_TYPE = 'application/json; charset=utf-8';

/** The file of a vehicle's aggregate image, if any; never a path outside `dir`. */
function imagePath(dir: string, id: string): string | null {
  const root = resolve(dir);
  // `cotrans features --images` writes DIR/<safeName(id)>/aggregate.png; a flat DIR/<id>.png also works.
  const safe = safeName(id);
  for (const p of [join(root, safe, 'aggregate.png'), join(root, `${safe}.png`)]) {
    if (!resolve(p).startsWith(root + sep)) continue;
    if (existsSync(p)) return p;
  }
  return null;
}

const COMMON_HEADERS = Object.entries({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });

function send(res: ServerResponse, status: number, body: unknown, type = JSON_TYPE): void {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  for (const [k, v] of COMMON_HEADERS) res.setHeader(k, v);
  res.setHeader('content-type', type);
  res.writeHead(status);
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function validateReview(body: unknown, vehicleId: string, reviewer: string): Review {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (!VERDICTS.includes(b.verdict as Verdict)) throw new HttpError(400, `field verdict: must be one of ${VERDICTS.join(', ')}`);
  if (b.note !== undefined && (typeof b.note !== 'string' || b.note.length > MAX_NOTE)) throw new HttpError(400, `field note: must be a string of at most ${MAX_NOTE} characters`);
  if (b.reviewer !== undefined) throw new HttpError(400, 'field reviewer: the reviewer is the token\'s identity, not part of the body');
  return { vehicleId, verdict: b.verdict as Verdict, note: (b.note as string | undefined) ?? '', reviewer, at: Date.now() };
}

const REVIEWS_CSV_HEADER = ['vehicle_id', 'predicted', 'p_shared', 'verdict', 'reviewer', 'note', 'reviewed_at'];
const LABELS_CSV_HEADER = ['vehicle_id', 'label', 'p_shared', 'p_rf', 'p_cnn', 'flags', 'verdict', 'reviewer', 'reviewed_at'];

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  if (!opts.storeFile && !opts.predictions && !opts.predictionsFile) throw new TypeError('startDashboard: give storeFile, predictions or predictionsFile');
  if (!opts.storeFile && !opts.reviewsDb) throw new TypeError('startDashboard: predictions need a reviewsDb');
  const log = opts.log ?? (() => {});
  const files = loadStaticFiles();
  const source = opts.storeFile ? new StoreSource(opts.storeFile) : null;
  const store = source?.reviews ?? new ReviewStore(opts.reviewsDb!);
  let model: Awaited<ReturnType<typeof loadModel>> | null = null;
  const closeStores = () => {
    model?.dispose();
    return source ? source.close() : store.close();
  };
  const authenticate = makeAuthenticator(opts.tokens ?? []);
  const writable = (opts.tokens ?? []).length > 0;
  const images = new LruCache<string, string | null>(opts.imageCacheSize ?? DEFAULT_IMAGE_CACHE);
  /** Vehicle pages as sent, until the fleet is rebuilt or the vehicle gains a review. */
  const details = new LruCache<string, Buffer>(opts.imageCacheSize ?? DEFAULT_IMAGE_CACHE);

  const build = (predictions: readonly Prediction[]): Fleet => {
    const f = new Fleet(predictions, opts.truth, source?.latestFeatures());
    for (const r of store.latest().values()) f.setReview(r);
    return f;
  };
  let fleet: Fleet;
  const tracks = new Map<string, Buffer>();
  let modelVersion: string | null = null;
  try {
    if (opts.tracksFile) for (const [id, t] of await readTracks(opts.tracksFile, opts.tracksTz ?? 'UTC')) tracks.set(id, Buffer.from(JSON.stringify(t)));
    if (opts.modelsDir) {
      modelVersion = resolveModelDir(opts.modelsDir).version;
      model = await loadModel(opts.modelsDir);
    }
    fleet = build(source ? source.predictions() : opts.predictions ?? (await readPredictions(opts.predictionsFile!)));
  } catch (e) {
    closeStores();
    throw e;
  }
  /** Bumped per fleet rebuild; with fleet.version it keys what is cached per data change. */
  let generation = 0;
  /** Memoises make() until the predictions or a review change. */
  const perVersion = <T>(make: () => T): (() => T) => {
    let key = '';
    let value: T;
    return () => {
      const now = `${generation}:${fleet.version}`;
      if (now !== key) {
        value = make();
        key = now;
      }
      return value;
    };
  };

  let reads = 0;
  const rebuildFromStore = (why: string) => {
    fleet = build(source!.predictions());
    generation++;
    images.clear();
    details.clear();
    log(`dashboard: ${why} ${opts.storeFile} (${fleet.vehicles.length} vehicles)`);
  };
  const pollStore = () => {
    try {
      const changed = source!.poll();
      if (changed.labels) rebuildFromStore('new labels in');
      else for (const r of changed.reviews) {
        fleet.setReview(r);
        details.delete(r.vehicleId);
      }
    } catch (e) {
      log(`dashboard: kept the previous labels: ${(e as Error).message}`);
    }
  };
  const storeTimer = source ? setInterval(pollStore, opts.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS) : null;
  storeTimer?.unref();

  const reload = async () => {
    if (source) return rebuildFromStore('re-read');
    if (!opts.predictionsFile) return;
    // Reads may finish out of order: only the latest one started may replace the fleet.
    const mine = ++reads;
    const predictions = await readPredictions(opts.predictionsFile);
    if (mine !== reads) return;
    fleet = build(predictions);
    generation++;
    images.clear();
    details.clear();
    log(`dashboard: re-read ${opts.predictionsFile} (${fleet.vehicles.length} vehicles)`);
  };
  const onChange = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
    // A half-written file fails to parse: keep serving the last good one and say why.
    reload().catch((e: Error) => log(`dashboard: kept the previous predictions: ${e.message}`));
  };
  if (opts.predictionsFile) watchFile(opts.predictionsFile, { interval: opts.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS }, onChange);

  const imageOf = (id: string): string | Buffer | null => {
    const png = source?.image(id);
    if (png) return png;
    if (!opts.imagesDir) return null;
    if (!images.has(id)) images.set(id, imagePath(opts.imagesDir, id));
    return images.get(id) ?? null;
  };

  // per fleet rebuild only (a review changes no feature): one pass over the stored features
  let dist: { generation: number; value: ReturnType<StoreSource['featureDistributions']> } | null = null;
  const distributions = () => {
    if (dist?.generation !== generation) dist = { generation, value: source?.featureDistributions() ?? {} };
    return dist.value;
  };
  const summaryBody = perVersion(() => Buffer.from(JSON.stringify({ ...fleet.summary(), model: source?.model() ?? null, featureColumns: fleet.featureColumns })));

  const reviewsCsv = perVersion((): string => {
    let out = csvLine(REVIEWS_CSV_HEADER);
    for (const r of store.latest().values()) {
      const v = fleet.get(r.vehicleId);
      out += csvLine([r.vehicleId, v?.label ?? '', v ? v.pShared.toFixed(4) : '', r.verdict, r.reviewer, r.note, new Date(r.at).toISOString()]);
    }
    return out;
  });

  /** Every vehicle's current label with its latest verdict. */
  const labelsCsv = perVersion((): string => {
    let out = csvLine(LABELS_CSV_HEADER);
    const f4 = (p: number | null) => (p === null ? '' : p.toFixed(4));
    for (const v of fleet.vehicles) {
      const r = fleet.reviewOf(v.vehicleId);
      out += csvLine([v.vehicleId, v.label, f4(v.pShared), f4(v.pRf), f4(v.pCnn), v.flags.join(';'), r?.verdict ?? '', r?.reviewer ?? '', r ? new Date(r.at).toISOString() : '']);
    }
    return out;
  });

  /** The reviewer of the request's token: 401 for a wrong or missing token, 403 on a read-only server. */
  const reviewerOf = (req: IncomingMessage): string => {
    if (!writable) throw new HttpError(403, 'this dashboard is read-only: start it with --token-file or COTRANS_DASHBOARD_TOKEN to accept reviews');
    const token = bearer(req.headers);
    if (!token) throw new HttpError(401, 'a review needs a token: Authorization: Bearer <token>');
    const who = authenticate(token);
    if (!who) throw new HttpError(401, 'token not recognised');
    return who;
  };

  const allowedHosts = new Set<string>([...LOOPBACK_HOSTS, ...(opts.allowHosts ?? []).map(hostName)]);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkHost(req.headers, allowedHosts);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw new HttpError(400, 'malformed URL');
    }
    const path = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    const page = files.get(path);
    if (page) {
      if (!get) throw new HttpError(405, `${req.method} not allowed on ${path}`);
      return send(res, 200, page.body, page.type);
    }
    const readOnlyRoute = path === '/api/session' || path === '/api/summary' || path === '/api/stream' || path === '/api/vehicles' || path === '/api/reviews.csv' || path === '/api/labels.csv' || path.startsWith('/images/');
    if (readOnlyRoute && !get) throw new HttpError(405, `${req.method} not allowed on ${path}`);
    if (path === '/api/session') {
      const token = bearer(req.headers);
      const reviewer = token ? authenticate(token) : null;
      if (token && !reviewer) throw new HttpError(401, 'token not recognised');
      return send(res, 200, { writable, reviewer });
    }
    if (path === '/api/summary') return send(res, 200, summaryBody());
    // not cached per fleet version: the stream's health changes with every batch, labels or not
    if (path === '/api/stream') return send(res, 200, { stream: source?.stream() ?? null });
    if (path === '/api/vehicles') return send(res, 200, fleet.queryBody(parseQuery(url.searchParams)));
    if (path === '/api/reviews.csv' || path === '/api/labels.csv') {
      const reviews = path === '/api/reviews.csv';
      res.setHeader('content-disposition', `attachment; filename="${reviews ? 'reviews' : 'labels'}.csv"`);
      return send(res, 200, reviews ? reviewsCsv() : labelsCsv(), 'text/csv; charset=utf-8');
    }
    // a stored day image (store only): /images/<id>/<YYYY-MM-DD>.png
    const dayImg = /^\/images\/([^/]+)\/(\d{4}-\d{2}-\d{2})\.png$/.exec(path);
    if (dayImg) {
      const id = decodePathPart(dayImg[1]);
      const png = source && fleet.has(id) ? source.image(id, `${dayImg[2]}.png`) : null;
      if (!png) throw new HttpError(404, `no image of ${dayImg[2]} for vehicle ${id.slice(0, 200)}`);
      return send(res, 200, png, 'image/png');
    }
    const img = /^\/images\/([^/]+)\.png$/.exec(path);
    if (img) {
      const id = decodePathPart(img[1]);
      // Only the fleet's ids are looked up (and cached): an invented id costs nothing to remember.
      const file = fleet.has(id) ? imageOf(id) : null;
      if (!file) throw new HttpError(404, `no image for vehicle ${id.slice(0, 200)}`);
      return send(res, 200, Buffer.isBuffer(file) ? file : readFileSync(file), 'image/png');
    }
    const m = /^\/api\/vehicles\/([^/]+)(\/review|\/track)?$/.exec(path);
    if (m) {
      const id = decodePathPart(m[1]);
      const v = fleet.get(id);
      if (!v) throw new HttpError(404, `unknown vehicle ${id.slice(0, 200)}`);
      if (get && m[2] === '/track') {
        const t = tracks.get(id);
        if (!t) throw new HttpError(404, `no track for vehicle ${id.slice(0, 200)}${opts.tracksFile ? '' : ' (start the dashboard with --input LOG)'}`);
        return send(res, 200, t);
      }
      if (get && !m[2]) {
        let body = details.get(id);
        if (!body) {
          const features = source?.features(id) ?? null;
          const fromStore = source ? { labelHistory: source.labelHistory(id), features, images: source.imageNames(id) } : {};
          const dayImages = model && source ? await source.dayImages(id) : null;
          const cnnDays = model && dayImages ? await cnnDayScores(model, dayImages) : null;
          const explanation = model && features ? { ...explainVehicle(model, features), modelVersion, cnnDays } : null;
          const dist = distributions();
          const shown = explanation ? explanation.features.slice(0, 8).map((f) => f.column) : Object.keys(features ?? {});
          const classes = features ? Object.fromEntries(shown.filter((c) => dist[c]).map((c) => [c, { value: features[c], ...dist[c] }])) : null;
          body = Buffer.from(JSON.stringify({ ...v, review: fleet.reviewOf(id), hasImage: imageOf(id) !== null, hasTrack: tracks.has(id), history: store.history(id), ...fromStore, explanation, distributions: classes }));
          details.set(id, body);
        }
        return send(res, 200, body);
      }
      if (req.method === 'POST' && m[2]) {
        checkWrite(req.headers);
        const review = validateReview(await readJson(req), id, reviewerOf(req));
        store.add(review);
        fleet.setReview(review);
        details.delete(id);
        return send(res, 201, review);
      }
      throw new HttpError(405, `${req.method} not allowed on ${path}`);
    }
    throw new HttpError(404, `no route ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const known = err instanceof HttpError;
      if (!known) log(`dashboard: ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
      else if (req.method !== 'GET' && req.method !== 'HEAD') log(`dashboard: refused ${req.method} ${req.url}: ${err.status} ${err.message}`);
      if (res.headersSent) return void res.destroy();
      // The body of a refused request is not read; close the connection rather than drain it.
      if (req.method === 'POST' && !req.readableEnded) res.setHeader('connection', 'close');
      send(res, known ? err.status : 500, { error: known ? err.message : 'internal error (see the server log)' });
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', (e) => {
      if (opts.predictionsFile) unwatchFile(opts.predictionsFile, onChange);
      if (storeTimer) clearInterval(storeTimer);
      closeStores();
      fail(e);
    });
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  for (const name of [host, opts.host ?? '']) if (name && !['0.0.0.0', '::', '[::]'].includes(name)) allowedHosts.add(hostName(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name));
  return {
    url: `http://${host}:${addr.port}/`,
    server,
    reload,
    stats: () => ({ vehicles: fleet.vehicles.length, imageCache: images.size }),
    async close() {
      if (opts.predictionsFile) unwatchFile(opts.predictionsFile, onChange);
      if (storeTimer) clearInterval(storeTimer);
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      closeStores();
    },
  };
}
