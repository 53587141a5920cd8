// The week's track of each vehicle for the map, read once from the GPS log given with --input
// (the store keeps labels and features, not fixes: a week of fixes is larger than the rest of the
// store together). Each vehicle keeps at most MAX_TRACK_POINTS fixes, evenly thinned; stops are
// found on the full track before thinning.
import { readPoints } from '@cotrans/ingest';

export const MAX_TRACK_POINTS = 2000;
/** A stop: fixes staying within STOP_RADIUS_M of the first for at least STOP_MIN_MS. */
export const STOP_RADIUS_M = 150;
export const STOP_MIN_MS = 15 * 60 * 1000;

export interface Stop { lat: number; lon: number; start: number; end: number }
export interface TrackDay { day: string; points: [number, number, number][] }
export interface Track { days: TrackDay[]; stops: Stop[]; points: number }

const R = 6371000;
function metres(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const x = ((lon2 - lon1) * Math.PI / 180) * Math.cos(((lat1 + lat2) / 2) * Math.PI / 180);
  const y = (lat2 - lat1) * Math.PI / 180;
  return Math.sqrt(x * x + y * y) * R;
}

/** Stops of a time-sorted track (ts, lat, lon per fix, flat): each run within the radius lasting long enough. */
export function findStops(ts: ArrayLike<number>, lat: ArrayLike<number>, lon: ArrayLike<number>, radiusM = STOP_RADIUS_M, minMs = STOP_MIN_MS): Stop[] {
  const stops: Stop[] = [];
  let i = 0;
  while (i < ts.length) {
    let j = i + 1;
    let sLat = lat[i], sLon = lon[i];
    while (j < ts.length && metres(lat[i], lon[i], lat[j], lon[j]) <= radiusM) {
      sLat += lat[j];
      sLon += lon[j];
      j++;
    }
    if (ts[j - 1] - ts[i] >= minMs) {
      stops.push({ lat: sLat / (j - i), lon: sLon / (j - i), start: ts[i], end: ts[j - 1] });
      i = j;
    } else i++;
  }
  return stops;
}

/** One vehicle's fixes (sorted by time) as days in the time zone, thinned, with its stops. */
export function buildTrack(ts: number[], lat: number[], lon: number[], tz: string, maxPoints = MAX_TRACK_POINTS): Track {
  const order = ts.map((_, i) => i).sort((a, b) => ts[a] - ts[b]);
  const T = order.map((i) => ts[i]), A = order.map((i) => lat[i]), O = order.map((i) => lon[i]);
  const stops = findStops(T, A, O);
  const dayOf = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  const n = Math.min(T.length, maxPoints);
  const days = new Map<string, [number, number, number][]>();
  for (let j = 0; j < n; j++) {
    const i = Math.floor((j * T.length) / n);
    const day = dayOf.format(T[i]);
    let d = days.get(day);
    if (!d) days.set(day, (d = []));
    d.push([Math.round(O[i] * 1e5) / 1e5, Math.round(A[i] * 1e5) / 1e5, T[i]]);
  }
  return { days: [...days].map(([day, points]) => ({ day, points })), stops, points: T.length };
}

/** Reads a GPS log into per-vehicle tracks (only the vehicles `keep` accepts, when given). */
export async function readTracks(path: string, tz: string, keep?: (id: string) => boolean): Promise<Map<string, Track>> {
  const raw = new Map<string, { ts: number[]; lat: number[]; lon: number[] }>();
  for await (const batch of readPoints(path)) {
    for (const p of batch) {
      if (keep && !keep(p.vehicleId)) continue;
      let r = raw.get(p.vehicleId);
      if (!r) raw.set(p.vehicleId, (r = { ts: [], lat: [], lon: [] }));
      r.ts.push(p.ts);
      r.lat.push(p.lat);
      r.lon.push(p.lon);
    }
  }
  const out = new Map<string, Track>();
  for (const [id, r] of raw) out.set(id, buildTrack(r.ts, r.lat, r.lon, tz));
  return out;
}
