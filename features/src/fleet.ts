// Batch over a whole fleet: one VehicleWindow per vehicle, fed from batches of fixes in any
// vehicle interleaving, then every vehicle's result.
import { UserError } from '@cotrans/core';
import type { GpsPoint } from '@cotrans/ingest';
import type { VehicleImages } from './images.js';
import { resolveOptions, type Bbox, type FeatureOptions } from './options.js';
import type { VehicleFeatures } from './summarise.js';
import { addCounts, emptyCounts, VehicleWindow, type CleaningCounts } from './window.js';

export interface FleetResult {
  /** One row per vehicle seen, sorted by vehicleId; flagged vehicles included. */
  features: VehicleFeatures[];
  images: Map<string, VehicleImages>;
  /** Totals over the fleet. */
  cleaning: CleaningCounts;
  /** Per vehicle. */
  cleaningByVehicle: Map<string, CleaningCounts>;
}

export interface ComputeFleetOptions extends FeatureOptions {
  /** Called after each batch with the number of fixes consumed so far. */
  onProgress?: (points: number) => void;
  /** Called once per vehicle as results are produced (e.g. to write PNGs without keeping them). */
  onVehicle?: (features: VehicleFeatures, images: VehicleImages | null) => void | Promise<void>;
  /** Keep images in the returned map (default true). */
  keepImages?: boolean;
  /**
   * 'arrival' (default): each window gets its vehicle's fixes as they come, out of order by up to
   * latenessMs (a stream). 'time': a file, not a stream: each vehicle's fixes are held, put in
   * time order and fed to its window at the end, so the result does not depend on the row order
   * at all. Memory stays bounded per vehicle: fixes more than windowDays + 2 days older than the
   * vehicle's newest are let go as they fall out (counted out of the window).
   */
  order?: 'arrival' | 'time';
}

export async function computeFleet(points: AsyncIterable<GpsPoint[]> | Iterable<GpsPoint[]>, opts: ComputeFleetOptions): Promise<FleetResult> {
  const ro = resolveOptions(opts);
  if (ro.frame === 'city' && ro.images && !ro.bbox) {
    throw new UserError("features: frame 'city' needs a bbox (minLon,minLat,maxLon,maxLat); fleetBbox() takes it from the data");
  }
  const windows = new Map<string, VehicleWindow>();
  if (opts.order === 'time') return finish(await heldInTimeOrder(points, ro, windows, opts), opts);
  const stage = new FixStage();
  const slots = new Map<string, number>();
  let lastId = '';
  let last = -1;
  let n = 0;
  for await (const batch of points as AsyncIterable<GpsPoint[]>) {
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      if (p.vehicleId !== lastId || last < 0) {
        lastId = p.vehicleId;
        let s = slots.get(lastId);
        if (s === undefined) {
          const w = new VehicleWindow(lastId, ro);
          windows.set(lastId, w);
          s = stage.add(w);
          slots.set(lastId, s);
        }
        last = s;
      }
      if (stage.put(last, p.ts, p.lat, p.lon)) stage.flush();
    }
    n += batch.length;
    opts.onProgress?.(n);
  }
  stage.flush();
  return finish(windows, opts);
}

/** Every vehicle's result, in vehicleId order; each window is freed as its result is taken. */
async function finish(windows: Map<string, VehicleWindow>, opts: ComputeFleetOptions): Promise<FleetResult> {
  const ids = [...windows.keys()].sort();
  const features: VehicleFeatures[] = [];
  const images = new Map<string, VehicleImages>();
  const cleaning = emptyCounts();
  const cleaningByVehicle = new Map<string, CleaningCounts>();
  const keep = opts.keepImages ?? true;
  for (const id of ids) {
    const r = windows.get(id)!.endResult();
    windows.delete(id); // free the vehicle's state as we go
    features.push(r.features);
    if (r.images && keep) images.set(id, r.images);
    addCounts(cleaning, r.cleaning);
    cleaningByVehicle.set(id, r.cleaning);
    if (opts.onVehicle) await opts.onVehicle(r.features, r.images);
  }
  return { features, images, cleaning, cleaningByVehicle };
}

/** The fixes of one vehicle held for order 'time': flat ts, lat, lon; those far behind its newest let go. */
class HeldFixes {
  fix = new Float64Array(3 * 64);
  n = 0;
  newest = -Infinity;
  /** Fixes let go because they were older than the newest by more than the span. */
  dropped = 0;
  constructor(private readonly spanMs: number) {}

  put(ts: number, lat: number, lon: number): void {
    if (ts > this.newest) this.newest = ts;
    else if (ts < this.newest - this.spanMs) {
      this.dropped++;
      return;
    }
    if (3 * this.n === this.fix.length) this.makeRoom();
    const k = 3 * this.n++;
    this.fix[k] = ts;
    this.fix[k + 1] = lat;
    this.fix[k + 2] = lon;
  }

  /** Lets go the fixes that fell out of the span; doubles the array when that frees too little. */
  private makeRoom(): void {
    this.prune();
    if (3 * this.n > this.fix.length / 2) {
      const bigger = new Float64Array(this.fix.length * 2);
      bigger.set(this.fix.subarray(0, 3 * this.n));
      this.fix = bigger;
    }
  }

  prune(): void {
    const cut = this.newest - this.spanMs;
    let m = 0;
    for (let k = 0; k < this.n; k++) {
      if (this.fix[3 * k] < cut) {
        this.dropped++;
        continue;
      }
      if (m !== k) this.fix.copyWithin(3 * m, 3 * k, 3 * k + 3);
      m++;
    }
    this.n = m;
  }

  /** The held fixes in (ts, lat, lon) order, the order the reorder buffer releases them in. */
  sorted(): Float64Array {
    this.prune();
    const f = this.fix;
    const idx = Array.from({ length: this.n }, (_, i) => i);
    idx.sort((a, b) => f[3 * a] - f[3 * b] || f[3 * a + 1] - f[3 * b + 1] || f[3 * a + 2] - f[3 * b + 2]);
    const out = new Float64Array(3 * this.n);
    idx.forEach((i, j) => out.set(f.subarray(3 * i, 3 * i + 3), 3 * j));
    return out;
  }
}

/** Order 'time': every vehicle's fixes held, then fed to its window in time order. */
async function heldInTimeOrder(points: AsyncIterable<GpsPoint[]> | Iterable<GpsPoint[]>, ro: ReturnType<typeof resolveOptions>, windows: Map<string, VehicleWindow>, opts: ComputeFleetOptions): Promise<Map<string, VehicleWindow>> {
  // two days beyond the window: a local day, its stays and the neighbours its cleaning looks at
  const spanMs = (ro.windowDays + 2) * 86_400_000;
  const held = new Map<string, HeldFixes>();
  let n = 0;
  for await (const batch of points as AsyncIterable<GpsPoint[]>) {
    for (const p of batch) {
      let h = held.get(p.vehicleId);
      if (!h) {
        held.set(p.vehicleId, (h = new HeldFixes(spanMs)));
        windows.set(p.vehicleId, new VehicleWindow(p.vehicleId, ro));
      }
      const w = windows.get(p.vehicleId)!;
      // a fix that is no fix has no time to order by: the window counts it invalid now
      if (!(Number.isFinite(p.ts) && Number.isFinite(p.lat) && Number.isFinite(p.lon))) w.push(p.ts, p.lat, p.lon);
      else h.put(p.ts, p.lat, p.lon);
    }
    n += batch.length;
    opts.onProgress?.(n);
  }
  for (const [id, h] of held) {
    const w = windows.get(id)!;
    const f = h.sorted();
    w.pushRun(f, 0, f.length / 3);
    // let go unread: out of the window whatever else they were
    w.counts.input += h.dropped;
    w.counts.outOfWindow += h.dropped;
    held.delete(id);
  }
  return windows;
}

/**
 * The extent of the data for the 'city' frame: the 0.1% and 99.9% quantiles of longitude and
 * latitude, so a few wild fixes do not stretch it. Keeps a deterministic systematic sample
 * (at most 2^18 fixes) in constant memory.
 */
export async function fleetBbox(points: AsyncIterable<GpsPoint[]> | Iterable<GpsPoint[]>): Promise<Bbox> {
  const CAP = 1 << 18;
  let lat = new Float64Array(CAP);
  let lon = new Float64Array(CAP);
  let m = 0;
  let stride = 1;
  let seen = 0;
  for await (const batch of points as AsyncIterable<GpsPoint[]>) {
    for (const p of batch) {
      if (seen++ % stride !== 0) continue;
      if (!Number.isFinite(p.lat) || !Number.isFinite(p.lon)) continue;
      if (m === CAP) {
        // halve the sample, double the stride
        for (let i = 0; i < CAP / 2; i++) {
          lat[i] = lat[2 * i];
          lon[i] = lon[2 * i];
        }
        m = CAP / 2;
        stride *= 2;
      }
      lat[m] = p.lat;
      lon[m] = p.lon;
      m++;
    }
  }
  if (m === 0) throw new UserError('features: no fixes to take a bbox from');
  lat = lat.slice(0, m).sort();
  lon = lon.slice(0, m).sort();
  const q = (a: Float64Array, f: number) => a[Math.min(a.length - 1, Math.max(0, Math.floor(f * (a.length - 1))))];
  let [a, b, c, d] = [q(lon, 0.001), q(lat, 0.001), q(lon, 0.999), q(lat, 0.999)];
  if (c - a < 1e-3) [a, c] = [a - 5e-4, c + 5e-4];
  if (d - b < 1e-3) [b, d] = [b - 5e-4, d + 5e-4];
  return [a, b, c, d];
}

/**
 * Fixes arrive interleaved across vehicles (a fleet's file or topic is in time order), so feeding
 * each fix straight to its window touches a different window's state every time, and the stage is
 * bound by cache misses. The stage holds a few ten thousand fixes, then feeds them vehicle by
 * vehicle (a stable counting sort on the vehicle's slot): each window gets exactly its own fixes in
 * their arrival order, as before, but in runs that keep its state in cache.
 */
class FixStage {
  private static readonly CAP = 1 << 16;
  private readonly slot = new Int32Array(FixStage.CAP);
  /** Staged fixes, flat ts, lat, lon in arrival order; `sorted` the same grouped by slot. */
  private readonly fix = new Float64Array(3 * FixStage.CAP);
  private readonly sorted = new Float64Array(3 * FixStage.CAP);
  private n = 0;
  private readonly wins: VehicleWindow[] = [];
  private start = new Int32Array(1024);

  /** A new window; returns its slot. */
  add(w: VehicleWindow): number {
    this.wins.push(w);
    if (this.wins.length >= this.start.length) this.start = new Int32Array(this.start.length * 2);
    return this.wins.length - 1;
  }

  /** Stages a fix; true when the stage is full. Non-numbers become NaN (push counts them invalid). */
  put(slot: number, ts: number, lat: number, lon: number): boolean {
    const k = this.n++;
    this.slot[k] = slot;
    const f = this.fix;
    f[3 * k] = typeof ts === 'number' ? ts : NaN;
    f[3 * k + 1] = typeof lat === 'number' ? lat : NaN;
    f[3 * k + 2] = typeof lon === 'number' ? lon : NaN;
    return this.n === FixStage.CAP;
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const { slot, fix, sorted, wins } = this;
    const nw = wins.length;
    const c = this.start;
    c.fill(0, 0, nw + 1);
    for (let k = 0; k < n; k++) c[slot[k] + 1]++;
    for (let s = 0; s < nw; s++) c[s + 1] += c[s];
    // c[s] = where slot s starts; advanced while scattering, so afterwards c[s] is where it ends
    for (let k = 0; k < n; k++) {
      const j = 3 * c[slot[k]]++;
      sorted[j] = fix[3 * k];
      sorted[j + 1] = fix[3 * k + 1];
      sorted[j + 2] = fix[3 * k + 2];
    }
    let from = 0;
    for (let s = 0; s < nw; s++) {
      const to = c[s];
      if (to > from) wins[s].pushRun(sorted, from, to);
      from = to;
    }
    this.n = 0;
  }
}
