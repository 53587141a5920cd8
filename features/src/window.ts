// Per-vehicle streaming window: reorder buffer -> duplicate and jump filters -> per-day aggregates
// -> stays, trips and sessions, one file a stage (window-reorder, window-filters, window-days,
// window-stays; the snapshot in window-snapshot). The same code serves streaming (points one by
// one or in batches, snapshots for checkpoints) and batch (a whole file through one window per
// vehicle), so both give identical results by construction.
import { UserError } from '@cotrans/core';
import type { GpsPoint } from '@cotrans/ingest';
import { resolveOptions, type FeatureOptions, type ResolvedOptions } from './options.js';
import { summarise, type VehicleFeatures } from './summarise.js';
import { rasterise, type VehicleImages } from './images.js';
import type { CleaningCounts } from './window-counts.js';
import { StaysAndTrips } from './window-stays.js';
import { restoreInto, snapshotOf, type WindowSnapshot } from './window-snapshot.js';

export { emptyCounts, addCounts, type CleaningCounts } from './window-counts.js';
export { MOVING_KMH } from './window-days.js';
export { MIN_TRIP_M, SHIFT_SESSION_S } from './window-stays.js';
export type { WindowSnapshot } from './window-snapshot.js';

export interface WindowResult {
  features: VehicleFeatures;
  images: VehicleImages | null;
  cleaning: CleaningCounts;
}

export class VehicleWindow extends StaysAndTrips {
  /** push()'s one-fix run. */
  private readonly one = new Float64Array(3);

  constructor(vehicleId: string, opts: FeatureOptions | ResolvedOptions) {
    const resolved = resolveOptions(opts);
    if (resolved.frame === 'city' && resolved.images && !resolved.bbox) {
      throw new UserError("features: frame 'city' needs a bbox (minLon,minLat,maxLon,maxLat); use fleetBbox() on the data", { field: 'bbox' });
    }
    super(vehicleId, resolved);
  }

  /** Adds fixes of this vehicle (any order within latenessMs). */
  add(points: readonly GpsPoint[] | GpsPoint): this {
    if (Array.isArray(points)) {
      for (let i = 0; i < points.length; i++) {
        const p = points[i];
        if (p.vehicleId !== this.vehicleId) throw new Error(`VehicleWindow(${this.vehicleId}): got a fix of vehicle ${p.vehicleId}`);
        this.push(p.ts, p.lat, p.lon);
      }
    } else {
      const p = points as GpsPoint;
      if (p.vehicleId !== this.vehicleId) throw new Error(`VehicleWindow(${this.vehicleId}): got a fix of vehicle ${p.vehicleId}`);
      this.push(p.ts, p.lat, p.lon);
    }
    return this;
  }

  /** One fix as numbers (epoch ms, degrees). */
  push(ts: number, lat: number, lon: number): void {
    const f = this.one;
    // the array would coerce a non-number (a numeric string, null) into a valid-looking fix
    f[0] = typeof ts === 'number' ? ts : NaN;
    f[1] = typeof lat === 'number' ? lat : NaN;
    f[2] = typeof lon === 'number' ? lon : NaN;
    this.pushRun(f, 0, 1);
  }

  /** Releases everything held and closes open stays and trips. The window accepts no more fixes. */
  end(): this {
    if (this.closed) return this;
    this.releaseAll();
    this.flushCandidate();
    this.closeTracks();
    this.flushPend();
    this.closed = true;
    return this;
  }

  /** Features and images of the window as it stands; the window itself is not changed. */
  result(): WindowResult {
    const w = this.closed ? this : VehicleWindow.restore(this.snapshot()).end();
    return w.finalResult();
  }

  /** Like result(), but ends this window in place (no copy); for batch use. */
  endResult(): WindowResult {
    return this.end().finalResult();
  }

  private finalResult(): WindowResult {
    const days = [...this.days.values()].sort((a, b) => a.day - b.day);
    const features = summarise(this.vehicleId, days, this.opts);
    const images = this.opts.images ? rasterise(this.vehicleId, days, this.opts) : null;
    return { features, images, cleaning: { ...this.counts } };
  }

  /** Number of days held and fixes buffered, for memory accounting. */
  get held(): { days: number; buffered: number; cells: number } {
    let cells = 0;
    for (const d of this.days.values()) cells += d.time.size + d.periods[0].size + d.periods[1].size + d.periods[2].size + d.periods[3].size;
    return { days: this.days.size, buffered: this.tail - this.head, cells };
  }

  /** Plain JSON-serialisable state (no NaN or Infinity inside). */
  snapshot(): WindowSnapshot {
    if (this.closed) throw new Error(`VehicleWindow(${this.vehicleId}) is closed; snapshot before end()`);
    return snapshotOf(this);
  }

  static restore(s: WindowSnapshot): VehicleWindow {
    if (!s || s.v !== 1) throw new Error('VehicleWindow.restore: unknown snapshot version');
    return restoreInto(new VehicleWindow(s.vehicleId, s.opts), s);
  }
}
