// The fleet as the server queries it: built once per predictions file (sorted orders, an id index,
// the counts that do not depend on reviews), plus the latest review per vehicle, updated one
// vehicle at a time. A request then costs the page it returns, not a pass over every vehicle.
import type { Prediction } from './predictions.js';
import type { Review } from './reviews.js';
import { LruCache } from './lru.js';

/** Band of p_shared in which a label is worth a human look. */
export const UNCERTAIN = [0.35, 0.65] as const;
/** Confidence = |p_shared - 0.5| * 2; "low" is the uncertain band above, "high" is p_shared <= 0.1 or >= 0.9. */
export const CONFIDENCE_BANDS = { low: [0, 0.3], medium: [0.3, 0.8], high: [0.8, 1.0001] } as const;
export type ConfidenceBand = keyof typeof CONFIDENCE_BANDS;
/**
 * `uncertainty` sorts by distance from 0.5: ascending puts the most uncertain first. `priority` is
 * how much a human verdict would add: uncertainty (1 - confidence) plus RF/CNN disagreement
 * (|p_rf - p_cnn|) plus FLIP_WEIGHT when the label flipped between scorings, 0 to 2.5; the review
 * queue is `reviewed=0&sort=-priority`.
 */
export const FLIP_WEIGHT = 0.5;
export const SORT_KEYS = ['p_shared', 'uncertainty', 'priority', 'vehicle_id', 'p_rf', 'p_cnn', 'disagreement'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const HISTOGRAM_BINS = 20;
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;
/** Rendered pages kept (about 25 KB each at 100 rows): a crowd paging through many views is served from buffers. */
export const PAGE_CACHE = 1024;

export type Truth = Map<string, { label: string; stratum?: string }>;

export interface Vehicle extends Prediction {
  disagree: boolean;
  uncertain: boolean;
  confidence: number;
}

export interface VehicleQuery {
  label?: 'shared' | 'private';
  confidence?: ConfidenceBand;
  disagree?: boolean;
  reviewed?: boolean;
  flagged?: boolean;
  stale?: boolean;
  flipped?: boolean;
  /** A stored feature's range (store only): vehicles whose latest value lies in [min, max]. */
  feature?: { column: string; min?: number; max?: number };
  /** Vehicle id prefix, case-insensitive. */
  q?: string;
  sort: SortKey;
  /** Sort by this stored feature's latest value instead of `sort` (`sort=feature:COLUMN`, `-feature:COLUMN`); vehicles without one come first ascending. */
  sortFeature?: string;
  desc: boolean;
  offset: number;
  limit: number;
}

const bool = (v: string | null): boolean | undefined => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : undefined);

/** A query from URL parameters; unknown values are ignored rather than refused (a page link stays usable). */
export function parseQuery(p: URLSearchParams): VehicleQuery {
  const label = p.get('label');
  const confidence = p.get('confidence');
  const sortParam = p.get('sort') ?? '-p_shared';
  const key = sortParam.replace(/^-/, '') as SortKey;
  const byFeature = /^-?feature:(.+)$/.exec(sortParam);
  const q: VehicleQuery = {
    sort: SORT_KEYS.includes(key) ? key : 'p_shared',
    desc: SORT_KEYS.includes(key) || byFeature ? sortParam.startsWith('-') : true,
    offset: Math.max(0, Math.floor(Number(p.get('offset') ?? 0)) || 0),
    limit: Math.min(MAX_PAGE, Math.max(1, Math.floor(Number(p.get('limit') ?? DEFAULT_PAGE)) || DEFAULT_PAGE)),
  };
  if (byFeature) q.sortFeature = byFeature[1].slice(0, 100);
  if (label === 'shared' || label === 'private') q.label = label;
  if (confidence && Object.hasOwn(CONFIDENCE_BANDS, confidence)) q.confidence = confidence as ConfidenceBand;
  for (const k of ['disagree', 'reviewed', 'flagged', 'stale', 'flipped'] as const) {
    const b = bool(p.get(k));
    if (b !== undefined) q[k] = b;
  }
  // The older single `filter=` parameter maps onto the same fields.
  const filter = p.get('filter');
  if (filter === 'uncertain') q.confidence = 'low';
  else if (filter === 'disagree') q.disagree = true;
  else if (filter === 'flagged') q.flagged = true;
  else if (filter === 'reviewed') q.reviewed = true;
  else if (filter === 'unreviewed') q.reviewed = false;
  const column = p.get('feature');
  if (column) {
    const num = (k: string) => {
      const v = p.get(k);
      return v === null || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
    };
    const min = num('fmin'), max = num('fmax');
    q.feature = { column: column.slice(0, 100), ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  }
  const search = (p.get('q') ?? '').trim().toLowerCase().slice(0, 200);
  if (search) q.q = search;
  return q;
}

function toVehicle(p: Prediction, truth: Truth | undefined): Vehicle {
  const t = truth?.get(p.vehicleId);
  return {
    ...p,
    ...(t ? { truth: t.label, ...(t.stratum ? { stratum: t.stratum } : {}) } : {}),
    disagree: p.pRf !== null && p.pCnn !== null && p.pRf >= 0.5 !== p.pCnn >= 0.5,
    uncertain: p.pShared > UNCERTAIN[0] && p.pShared < UNCERTAIN[1],
    confidence: Math.abs(p.pShared - 0.5) * 2,
  };
}

const COMMA = Buffer.from(',');
const CLOSE_OBJECT = Buffer.from('}');
const NULL = Buffer.from('null');
const CLOSE_PAGE = Buffer.from(']}');

const selectionKey = (q: VehicleQuery) => [q.label, q.confidence, q.disagree, q.reviewed, q.flagged, q.stale, q.flipped, q.feature && `${q.feature.column}:${q.feature.min}:${q.feature.max}`, q.q, q.sort, q.sortFeature, q.desc].join('|');

const bandOf = (c: number): ConfidenceBand => (c < CONFIDENCE_BANDS.low[1] ? 'low' : c < CONFIDENCE_BANDS.medium[1] ? 'medium' : 'high');

function sortValue(v: Vehicle, key: SortKey): number | string {
  switch (key) {
    case 'vehicle_id': return v.vehicleId;
    case 'uncertainty': return v.confidence;
    case 'priority': return 1 - v.confidence + (v.pRf !== null && v.pCnn !== null ? Math.abs(v.pRf - v.pCnn) : 0) + (v.flips ? FLIP_WEIGHT : 0);
    case 'p_rf': return v.pRf ?? -1;
    case 'p_cnn': return v.pCnn ?? -1;
    case 'disagreement': return v.pRf !== null && v.pCnn !== null ? Math.abs(v.pRf - v.pCnn) : -1;
    default: return v.pShared;
  }
}

export interface Summary {
  total: number;
  shared: number;
  private: number;
  flagged: number;
  uncertain: number;
  disagree: number;
  /** Labels from an older model version or an old window (store only). */
  stale: number;
  reviewed: number;
  /** Share of decided reviews (not `unsure`) that agree with the model. */
  reviewAgreement: number | null;
  truthAccuracy: number | null;
  uncertainBand: readonly [number, number];
  /** Vehicles per p_shared bin, HISTOGRAM_BINS bins over [0, 1]. */
  histogram: number[];
}

interface ReviewCounts { reviewed: number; decided: number; agree: number }

/** One fleet snapshot with its indexes and the latest reviews of its vehicles. */
export class Fleet {
  readonly vehicles: readonly Vehicle[];
  private readonly index = new Map<string, number>();
  /** Per sort key: vehicle indexes in ascending order, and each vehicle's rank in it. */
  private readonly orders = new Map<SortKey, { order: Int32Array; rank: Int32Array }>();
  /** Vehicle indexes by lower-cased id, for prefix search by binary search. */
  private readonly byLowerId: Int32Array;
  private readonly lowerIds: string[];
  private readonly fixed: Omit<Summary, 'reviewed' | 'reviewAgreement'>;
  private readonly latest = new Map<number, Review>();
  /** Each vehicle's JSON without its closing brace, and its latest review's JSON: a page of rows is then a join. */
  private readonly json: Buffer[];
  private readonly reviewJson = new Map<number, Buffer>();
  private counts: ReviewCounts = { reviewed: 0, decided: 0, agree: 0 };
  /** Bumped by every review change, so cached answers that depend on reviews expire. */
  private reviewVersion = 0;
  private readonly results = new LruCache<string, { reviewVersion: number | null; ids: Int32Array }>(128);
  /** Rendered pages, valid until the next review: a crowd on the same view shares one body. */
  private readonly pages = new LruCache<string, { reviewVersion: number; body: Buffer }>(PAGE_CACHE);

  /** Per stored feature column, each vehicle's latest value (NaN where it has none). */
  private readonly featureValues = new Map<string, Float64Array>();
  private readonly featureOrders = new Map<string, { order: Int32Array; rank: Int32Array }>();
  readonly featureColumns: readonly string[];

  constructor(predictions: readonly Prediction[], truth?: Truth, features?: ReadonlyMap<string, Record<string, number>>) {
    this.vehicles = predictions.map((p) => toVehicle(p, truth));
    const n = this.vehicles.length;
    this.vehicles.forEach((v, i) => this.index.set(v.vehicleId, i));
    this.json = this.vehicles.map((v) => Buffer.from(JSON.stringify(v).slice(0, -1) + ',"review":'));
    for (const key of SORT_KEYS) {
      const vals = this.vehicles.map((v) => sortValue(v, key));
      const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => {
        const x = vals[a], y = vals[b];
        if (x < y) return -1;
        if (x > y) return 1;
        const ia = this.vehicles[a].vehicleId, ib = this.vehicles[b].vehicleId;
        return ia < ib ? -1 : ia > ib ? 1 : 0;
      });
      const rank = new Int32Array(n);
      order.forEach((v, r) => { rank[v] = r; });
      this.orders.set(key, { order, rank });
    }
    const columns = new Set<string>();
    for (const f of features?.values() ?? []) for (const c of Object.keys(f)) columns.add(c);
    this.featureColumns = [...columns].sort();
    for (const c of this.featureColumns) {
      const col = new Float64Array(n).fill(NaN);
      this.vehicles.forEach((v, i) => {
        const x = features!.get(v.vehicleId)?.[c];
        if (typeof x === 'number') col[i] = x;
      });
      this.featureValues.set(c, col);
    }
    this.lowerIds = this.vehicles.map((v) => v.vehicleId.toLowerCase());
    this.byLowerId = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => (this.lowerIds[a] < this.lowerIds[b] ? -1 : this.lowerIds[a] > this.lowerIds[b] ? 1 : 0));
    const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
    let shared = 0, flagged = 0, uncertain = 0, disagree = 0, stale = 0, withTruth = 0, truthRight = 0;
    for (const v of this.vehicles) {
      histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor(v.pShared * HISTOGRAM_BINS))]++;
      if (v.label === 'shared') shared++;
      if (v.flags.length) flagged++;
      if (v.uncertain) uncertain++;
      if (v.disagree) disagree++;
      if (v.stale) stale++;
      if (v.truth !== undefined) {
        withTruth++;
        if (v.truth === v.label) truthRight++;
      }
    }
    this.fixed = {
      total: n, shared, private: n - shared, flagged, uncertain, disagree, stale,
      truthAccuracy: withTruth ? truthRight / withTruth : null,
      uncertainBand: UNCERTAIN, histogram,
    };
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  get(id: string): Vehicle | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.vehicles[i];
  }

  reviewOf(id: string): Review | null {
    const i = this.index.get(id);
    return (i !== undefined && this.latest.get(i)) || null;
  }

  /** Records the latest review of a vehicle (one of this fleet's; others are ignored). */
  setReview(r: Review): void {
    const i = this.index.get(r.vehicleId);
    if (i === undefined) return;
    const old = this.latest.get(i);
    if (old) this.count(old, i, -1);
    this.latest.set(i, r);
    this.reviewJson.set(i, Buffer.from(JSON.stringify(r)));
    this.count(r, i, +1);
    this.reviewVersion++;
  }

  private count(r: Review, i: number, sign: 1 | -1): void {
    this.counts.reviewed += sign;
    // Only a label counts as decided: `unsure`, or anything an unchecked database may hold, does not.
    if (r.verdict !== 'shared' && r.verdict !== 'private') return;
    this.counts.decided += sign;
    if (r.verdict === this.vehicles[i].label) this.counts.agree += sign;
  }

  /** A number that changes whenever summary() would. */
  get version(): number {
    return this.reviewVersion;
  }

  summary(): Summary {
    return {
      ...this.fixed,
      reviewed: this.counts.reviewed,
      reviewAgreement: this.counts.decided ? this.counts.agree / this.counts.decided : null,
    };
  }

  private matches(i: number, q: VehicleQuery): boolean {
    const v = this.vehicles[i];
    if (q.label && v.label !== q.label) return false;
    if (q.confidence && bandOf(v.confidence) !== q.confidence) return false;
    if (q.disagree !== undefined && v.disagree !== q.disagree) return false;
    if (q.flagged !== undefined && v.flags.length > 0 !== q.flagged) return false;
    if (q.stale !== undefined && (v.stale ?? false) !== q.stale) return false;
    if (q.flipped !== undefined && (v.flips ?? 0) > 0 !== q.flipped) return false;
    if (q.feature) {
      // an unknown column selects nothing: the link names a feature this store does not hold
      const x = this.featureValues.get(q.feature.column)?.[i] ?? NaN;
      if (Number.isNaN(x) || (q.feature.min !== undefined && x < q.feature.min) || (q.feature.max !== undefined && x > q.feature.max)) return false;
    }
    if (q.reviewed !== undefined && this.latest.has(i) !== q.reviewed) return false;
    return true;
  }

  /** Indexes of the vehicles whose lower-cased id starts with `prefix`, in id order. */
  private prefixRange(prefix: string): Int32Array {
    let lo = 0, hi = this.byLowerId.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lowerIds[this.byLowerId[mid]] < prefix) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < this.byLowerId.length && this.lowerIds[this.byLowerId[end]].startsWith(prefix)) end++;
    return this.byLowerId.subarray(lo, end);
  }

  /** A stored feature's order (built on first use, then kept): missing values lowest, ties by id; an unknown column orders by id. */
  private featureOrder(column: string): { order: Int32Array; rank: Int32Array } {
    const hit = this.featureOrders.get(column);
    if (hit) return hit;
    const vals = this.featureValues.get(column);
    const n = this.vehicles.length;
    const v = (i: number) => (vals && Number.isFinite(vals[i]) ? vals[i] : -Infinity);
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => v(a) - v(b) || (this.vehicles[a].vehicleId < this.vehicles[b].vehicleId ? -1 : 1));
    const rank = new Int32Array(n);
    order.forEach((x, r) => { rank[x] = r; });
    const out = { order, rank };
    // only the columns the store holds are kept, so the map stays as small as the feature list
    if (vals) this.featureOrders.set(column, out);
    return out;
  }

  /**
   * The vehicles a query selects, in its order. Answers are cached per query until the data they
   * depend on changes, so paging through one view costs the page alone.
   */
  private select(q: VehicleQuery): Int32Array {
    const key = selectionKey(q);
    const dependsOnReviews = q.reviewed !== undefined;
    const hit = this.results.get(key);
    if (hit && (!dependsOnReviews || hit.reviewVersion === this.reviewVersion)) return hit.ids;
    const { order, rank } = q.sortFeature !== undefined ? this.featureOrder(q.sortFeature) : this.orders.get(q.sort)!;
    let ids: Int32Array;
    if (q.q !== undefined) {
      const cand = Array.from(this.prefixRange(q.q)).filter((i) => this.matches(i, q));
      cand.sort((a, b) => (q.desc ? rank[b] - rank[a] : rank[a] - rank[b]));
      ids = Int32Array.from(cand);
    } else {
      const out = new Int32Array(order.length);
      let n = 0;
      for (let r = 0; r < order.length; r++) {
        const i = order[q.desc ? order.length - 1 - r : r];
        if (this.matches(i, q)) out[n++] = i;
      }
      ids = out.slice(0, n);
    }
    this.results.set(key, { reviewVersion: dependsOnReviews ? this.reviewVersion : null, ids });
    return ids;
  }

  query(q: VehicleQuery): { total: number; offset: number; limit: number; rows: (Vehicle & { review: Review | null })[] } {
    const ids = this.select(q);
    const rows = Array.from(ids.subarray(q.offset, q.offset + q.limit), (i) => ({ ...this.vehicles[i], review: this.latest.get(i) ?? null }));
    return { total: ids.length, offset: q.offset, limit: q.limit, rows };
  }

  /** query() as the bytes of a JSON response, joined from the precomputed rows; cached per page until the next review. */
  queryBody(q: VehicleQuery): Buffer {
    const key = `${selectionKey(q)}|${q.offset}|${q.limit}`;
    const hit = this.pages.get(key);
    if (hit && hit.reviewVersion === this.reviewVersion) return hit.body;
    const ids = this.select(q);
    const parts: Buffer[] = [Buffer.from(`{"total":${ids.length},"offset":${q.offset},"limit":${q.limit},"rows":[`)];
    const page = ids.subarray(q.offset, q.offset + q.limit);
    page.forEach((i, k) => {
      if (k > 0) parts.push(COMMA);
      parts.push(this.json[i], this.reviewJson.get(i) ?? NULL, CLOSE_OBJECT);
    });
    parts.push(CLOSE_PAGE);
    const body = Buffer.concat(parts);
    this.pages.set(key, { reviewVersion: this.reviewVersion, body });
    return body;
  }

}
