// Places vehicles recorded elsewhere (e.g. real taxis of another city) into a target pool: times are
// shifted so their first local day starts at the pool's first local day (local time of day kept,
// across time zones), positions are translated to the pool's centre (metres kept). Our features use
// fixed metric cells and a vehicle-centred image frame, so the move changes what a city-specific
// frame would see, not the shape of the movement.
import { localDate, localMidnightUtc } from '@cotrans/core';
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
