// Places vehicles recorded elsewhere (e.g. real taxis of another city) into a target pool: times are
// shifted so their first local day starts at the pool's first local day (local time of day kept,
// across time zones), positions are translated to the pool's centre (metres kept). Our features use
// fixed metric cells and a vehicle-centred image frame, so the move changes what a city-specific
// frame would see, not the shape of the movement.
import type { GpsPoint } from '@cotrans/ingest';

/** Epoch ms of local midnight of `day` (YYYY-MM-DD) in `tz`. */
export function localMidnight(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number);
  let t = Date.UTC(y, m - 1, d);
  for (let i = 0; i < 3; i++) t = Date.UTC(y, m - 1, d) - offsetMs(t, tz);
  return t;
}

function offsetMs(t: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t));
  const g = (k: string) => Number(parts.find((p) => p.type === k)!.value);
  return Date.UTC(g('year'), g('month') - 1, g('day'), g('hour'), g('minute'), g('second')) - Math.floor(t / 1000) * 1000;
}

export function localDay(t: number, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t));
}

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
  const dt = localMidnight(o.toFirstDay, o.toTz) - localMidnight(localDay(first, o.fromTz), o.fromTz);
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
