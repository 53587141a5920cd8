// Places vehicles recorded elsewhere (e.g. real taxis of another city) into a target pool: times are
// shifted so their first local day starts at the pool's first local day (local time of day kept,
// across time zones), positions are translated to the pool's centre (metres kept). Our features use
// fixed metric cells and a vehicle-centred image frame, so the move changes what a city-specific
// frame would see, not the shape of the movement.
import { UserError, localDate, localMidnightUtc } from '@cotrans/core';
import { computeFleet, type FleetResult } from '@cotrans/features';
import type { GpsPoint } from '@cotrans/ingest';

export interface PlaceOptions {
  fromTz: string;
  toTz: string;
  /** First local day of the pool (YYYY-MM-DD). */
  toFirstDay: string;
  /** Centre of the pool's city; null keeps positions. */
  toCentre: { lat: number; lon: number } | null;
  /** Prefix for the moved vehicles' ids (keeps them apart from the pool's). */
  idPrefix: string;
}

/** Reads all points (a real week is small), then yields them moved. */
export async function placeFleet(points: AsyncIterable<GpsPoint[]>, o: PlaceOptions): Promise<{ points: GpsPoint[]; vehicles: string[] }> {
  const all: GpsPoint[] = [];
  for await (const b of points) for (const p of b) all.push(p);
  if (!all.length) return { points: [], vehicles: [] };
  let first = Infinity;
  for (const p of all) if (p.ts < first) first = p.ts;
  const dt = localMidnightUtc(o.toTz, o.toFirstDay) - localMidnightUtc(o.fromTz, localDate(o.fromTz, first));
  const lats = all.map((p) => p.lat).sort((a, b) => a - b);
  const lons = all.map((p) => p.lon).sort((a, b) => a - b);
  const c = { lat: lats[lats.length >> 1], lon: lons[lons.length >> 1] };
  const k = o.toCentre ? Math.cos((c.lat * Math.PI) / 180) / Math.cos((o.toCentre.lat * Math.PI) / 180) : 1;
  const moved = all.map((p) => ({
    ...p,
    vehicleId: o.idPrefix + p.vehicleId,
    ts: p.ts + dt,
    lat: o.toCentre ? p.lat - c.lat + o.toCentre.lat : p.lat,
    lon: o.toCentre ? (p.lon - c.lon) * k + o.toCentre.lon : p.lon,
  }));
  return { points: moved, vehicles: [...new Set(moved.map((p) => p.vehicleId))] };
}

/**
 * Places real shared vehicles into a target pool for the experiment: moved to the pool's first
 * active day and to `centre` (placeFleet), their features and images computed in the pool's zone
 * and added to `target`, each labelled shared in `truth` with the stratum 'real-taxi'.
 */
export async function placeRealVehicles(
  target: { features: FleetResult['features']; images: FleetResult['images']; tz: string; path: string },
  points: AsyncIterable<GpsPoint[]>,
  o: { fromTz: string; centre: { lat: number; lon: number } | null; truth: { vehicleId: string; shared: boolean; stratum?: string }[]; what: string },
): Promise<{ vehicles: string[]; points: number; firstDay: string }> {
  const days = [...target.images.values()].flatMap((im) => im.dayKeys).sort();
  if (!days.length) throw new UserError(`${target.path}: no active day in the target pool to place real vehicles into`);
  const moved = await placeFleet(points, { fromTz: o.fromTz, toTz: target.tz, toFirstDay: days[0], toCentre: o.centre, idPrefix: 'real:' });
  if (!moved.points.length) throw new UserError(`${o.what}: no points`);
  moved.points.sort((a, b) => a.ts - b.ts);
  const fr = await computeFleet([moved.points], { tz: target.tz });
  target.features.push(...fr.features);
  for (const [k, v] of fr.images) target.images.set(k, v);
  for (const id of moved.vehicles) o.truth.push({ vehicleId: id, shared: true, stratum: 'real-taxi' });
  return { vehicles: moved.vehicles, points: moved.points.length, firstDay: days[0] };
}
