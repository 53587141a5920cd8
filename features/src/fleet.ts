// Batch over a whole fleet: one VehicleWindow per vehicle, fed from batches of fixes in any
// vehicle interleaving, then every vehicle's result.
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
}

export async function computeFleet(points: AsyncIterable<GpsPoint[]> | Iterable<GpsPoint[]>, opts: ComputeFleetOptions): Promise<FleetResult> {
  const ro = resolveOptions(opts);
  if (ro.frame === 'city' && ro.images && !ro.bbox) {
    throw Object.assign(new Error("features: frame 'city' needs a bbox (minLon,minLat,maxLon,maxLat); fleetBbox() takes it from the data"), { exitCode: 1 });
  }
  const windows = new Map<string, VehicleWindow>();
  let lastId = '';
  let last: VehicleWindow | null = null;
  let n = 0;
  for await (const batch of points as AsyncIterable<GpsPoint[]>) {
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      if (p.vehicleId !== lastId || last === null) {
        lastId = p.vehicleId;
        last = windows.get(lastId) ?? null;
        if (last === null) {
          last = new VehicleWindow(lastId, ro);
          windows.set(lastId, last);
        }
      }
      last.push(p.ts, p.lat, p.lon);
    }
    n += batch.length;
    opts.onProgress?.(n);
  }
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
  if (m === 0) throw Object.assign(new Error('features: no fixes to take a bbox from'), { exitCode: 1 });
  lat = lat.slice(0, m).sort();
  lon = lon.slice(0, m).sort();
  const q = (a: Float64Array, f: number) => a[Math.min(a.length - 1, Math.max(0, Math.floor(f * (a.length - 1))))];
  let [a, b, c, d] = [q(lon, 0.001), q(lat, 0.001), q(lon, 0.999), q(lat, 0.999)];
  if (c - a < 1e-3) [a, c] = [a - 5e-4, c + 5e-4];
  if (d - b < 1e-3) [b, d] = [b - 5e-4, d + 5e-4];
  return [a, b, c, d];
}
