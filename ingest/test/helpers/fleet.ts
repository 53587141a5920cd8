// A small seeded fleet log for ingest tests: V vehicles, D days, one fix every ~S seconds while a
// vehicle is "on", random-walk positions. Deterministic for a seed; time-ordered across vehicles.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { GpsPoint } from '@cotrans/ingest';
import { mulberry32 } from '@cotrans/core';

export const FLEET_START = Date.UTC(2026, 0, 5); // a Monday

export function makeFleet(o: { vehicles: number; days: number; intervalS: number; seed?: number }): GpsPoint[] {
  const rnd = mulberry32(o.seed ?? 42);
  const out: GpsPoint[] = [];
  const end = FLEET_START + o.days * 86_400_000;
  for (let v = 0; v < o.vehicles; v++) {
    const id = `veh-${String(v).padStart(3, '0')}`;
    let lat = 52.4 + rnd() * 0.2;
    let lon = 13.3 + rnd() * 0.2;
    let ts = FLEET_START + Math.floor(rnd() * o.intervalS * 1000);
    while (ts < end) {
      lat = Math.min(90, Math.max(-90, lat + (rnd() - 0.5) * 0.002));
      lon = Math.min(180, Math.max(-180, lon + (rnd() - 0.5) * 0.002));
      out.push({ vehicleId: id, ts, lat: +lat.toFixed(6), lon: +lon.toFixed(6), speedKmh: +(rnd() * 80).toFixed(1), heading: +(rnd() * 359.9).toFixed(1) });
      ts += Math.round(o.intervalS * 1000 * (0.8 + rnd() * 0.4));
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (a.vehicleId < b.vehicleId ? -1 : 1));
}

export function toCsv(points: GpsPoint[]): string {
  const lines = ['vehicle_id,timestamp,lat,lon,speed_kmh,heading'];
  for (const p of points) lines.push(`${p.vehicleId},${p.ts},${p.lat},${p.lon},${p.speedKmh ?? ''},${p.heading ?? ''}`);
  return lines.join('\n') + '\n';
}

export function writeFleetCsvGz(points: GpsPoint[], file: string): void {
  writeFileSync(file, gzipSync(toCsv(points)));
}

export function byVehicle(points: GpsPoint[]): Map<string, GpsPoint[]> {
  const m = new Map<string, GpsPoint[]>();
  for (const p of points) {
    let g = m.get(p.vehicleId);
    if (!g) m.set(p.vehicleId, (g = []));
    g.push(p);
  }
  for (const g of m.values()) g.sort((a, b) => a.ts - b.ts);
  return m;
}
