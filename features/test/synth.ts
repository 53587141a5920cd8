// Small seeded point sets for the tests: a commuter (home <-> work) and a taxi (random trips all
// day), sampled every 15 s while driving and every 60 s while parked, with GPS jitter, plus the
// faults cleaning must handle: exact and near duplicates, one-fix spikes and a long silence.
import type { GpsPoint } from '@cotrans/ingest';
import { mulberry32 as rng } from '@cotrans/core';

export { rng };

export const BERLIN = { lat: 52.52, lon: 13.405, tz: 'Europe/Berlin' };
/** 2024-03-04 00:00 Europe/Berlin (a Monday, UTC+1). */
export const MONDAY = Date.UTC(2024, 2, 3, 23, 0, 0);
const M_LAT = 1 / 111_195;
const M_LON = 1 / (111_195 * Math.cos((BERLIN.lat * Math.PI) / 180));

export interface SynthOptions {
  days?: number;
  faults?: boolean;
  seed?: number;
  start?: number;
}

/** Drives from a to b at speedKmh starting at t (ms), fixes every stepS; returns the arrival time. */
function drive(out: GpsPoint[], id: string, r: () => number, t: number, a: [number, number], b: [number, number], speedKmh: number, stepS = 15): number {
  const dist = Math.hypot((b[0] - a[0]) / M_LAT, (b[1] - a[1]) / M_LON);
  const dur = (dist / (speedKmh / 3.6)) * 1000;
  const steps = Math.max(1, Math.ceil(dur / (stepS * 1000)));
  for (let i = 1; i <= steps; i++) {
    const f = i / steps;
    out.push({ vehicleId: id, ts: Math.round(t + f * dur), lat: a[0] + (b[0] - a[0]) * f + (r() - 0.5) * 10 * M_LAT, lon: a[1] + (b[1] - a[1]) * f + (r() - 0.5) * 10 * M_LON });
  }
  return Math.round(t + dur);
}

function park(out: GpsPoint[], id: string, r: () => number, t: number, until: number, at: [number, number], stepS = 60): number {
  for (let s = t + stepS * 1000; s < until; s += stepS * 1000) {
    out.push({ vehicleId: id, ts: s, lat: at[0] + (r() - 0.5) * 16 * M_LAT, lon: at[1] + (r() - 0.5) * 16 * M_LON });
  }
  return until;
}

function addFaults(pts: GpsPoint[], r: () => number): GpsPoint[] {
  const out: GpsPoint[] = [];
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    // a 2-hour silence on the second day, in the middle of the data
    out.push(p);
    const u = r();
    if (u < 0.01) out.push({ ...p }); // exact duplicate
    else if (u < 0.015) out.push({ ...p, lat: p.lat + 3 * M_LAT }); // same time, other position
    else if (u < 0.02) out.push({ ...p, ts: p.ts + 300, lat: p.lat + 2 * M_LAT }); // near duplicate
    else if (u < 0.025 && i + 1 < pts.length && pts[i + 1].ts - p.ts > 2000) out.push({ ...p, ts: p.ts + 1000 + Math.floor(r() * 900), lat: p.lat + 0.3 }); // spike 33 km away
  }
  return out;
}

/** A commuter: home, work 8 km east, a shop on Saturday; parked in between. */
export function commuter(id: string, o: SynthOptions = {}): GpsPoint[] {
  const r = rng(o.seed ?? 1);
  const days = o.days ?? 7;
  const start = o.start ?? MONDAY;
  const home: [number, number] = [BERLIN.lat + 0.01, BERLIN.lon - 0.02];
  const work: [number, number] = [home[0] + 1000 * M_LAT, home[1] + 8000 * M_LON];
  const shop: [number, number] = [home[0] - 3000 * M_LAT, home[1] + 2000 * M_LON];
  const out: GpsPoint[] = [{ vehicleId: id, ts: start + 6 * 3600_000, lat: home[0], lon: home[1] }];
  let t = out[0].ts;
  for (let d = 0; d < days; d++) {
    const day0 = start + d * 86_400_000;
    const weekend = d % 7 >= 5;
    if (!weekend) {
      t = park(out, id, r, t, day0 + (7.5 + r()) * 3600_000, home);
      t = drive(out, id, r, t, home, work, 35 + 10 * r());
      t = park(out, id, r, t, day0 + (16.5 + r()) * 3600_000, work);
      t = drive(out, id, r, t, work, home, 35 + 10 * r());
    } else if (d % 7 === 5) {
      t = park(out, id, r, t, day0 + (10 + r()) * 3600_000, home);
      t = drive(out, id, r, t, home, shop, 30);
      t = park(out, id, r, t, t + 3600_000, shop);
      t = drive(out, id, r, t, shop, home, 30);
    }
    t = park(out, id, r, t, day0 + 23.9 * 3600_000, home, 600);
  }
  return o.faults ? addFaults(out, r) : out;
}

/** A taxi: random trips within 10 km of the centre from 06:00 to 02:00, short waits between. */
export function taxi(id: string, o: SynthOptions = {}): GpsPoint[] {
  const r = rng(o.seed ?? 2);
  const days = o.days ?? 7;
  const start = o.start ?? MONDAY;
  const out: GpsPoint[] = [];
  const rand = (): [number, number] => [BERLIN.lat + (r() - 0.5) * 20000 * M_LAT, BERLIN.lon + (r() - 0.5) * 20000 * M_LON];
  let pos = rand();
  for (let d = 0; d < days; d++) {
    let t = start + d * 86_400_000 + 6 * 3600_000;
    const end = t + 20 * 3600_000;
    out.push({ vehicleId: id, ts: t, lat: pos[0], lon: pos[1] });
    while (t < end) {
      const next = rand();
      t = drive(out, id, r, t, pos, next, 20 + 30 * r());
      pos = next;
      t = park(out, id, r, t, t + (2 + 10 * r()) * 60_000, pos, 15);
    }
  }
  return o.faults ? addFaults(out, r) : out;
}
