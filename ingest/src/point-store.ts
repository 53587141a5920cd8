// A durable per-vehicle point store in SQLite: the consumer's default handler (`cotrans consume`).
// Points, per-vehicle summaries, counters and the partitions' next offsets are written in one
// transaction per batch, so the state and its offsets never disagree, whatever moment a crash hits.
import type Database from 'better-sqlite3';
import type { GpsPoint } from './point.js';
import { migrate, openStore, type Migration } from './store/index.js';
import type { PartitionBatch, PointHandler } from './consumer.js';

export interface VehicleSummary {
  vehicleId: string;
  nPoints: number;
  firstTs: number;
  lastTs: number;
  /** Order-sensitive checksum of the vehicle's points as they were applied (hex, FNV-1a 32). */
  digest: string;
}

/** FNV-1a over a point, chained: equal only for the same points applied in the same order. */
export function chainDigest(prev: number, p: GpsPoint): number {
  const s = `${p.ts},${p.lat},${p.lon},${p.speedKmh ?? ''},${p.heading ?? ''}`;
  let h = prev ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export const POINTS_COMPONENT = 'ingest.points';

/** Version 1 is the schema files had before versioning; IF NOT EXISTS adopts such a file as it is. */
export const POINT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE IF NOT EXISTS points (
        vehicle_id TEXT NOT NULL, ts INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
        speed_kmh REAL, heading REAL, PRIMARY KEY (vehicle_id, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS vehicles (
        vehicle_id TEXT PRIMARY KEY, n_points INTEGER NOT NULL, first_ts INTEGER NOT NULL,
        last_ts INTEGER NOT NULL, digest INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS offsets (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset TEXT NOT NULL,
        PRIMARY KEY (topic, partition));
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
  },
];

export class SqlitePointStore implements PointHandler {
  readonly db: Database.Database;
  private readonly insertPoint: Database.Statement;
  private readonly getVehicle: Database.Statement;
  private readonly putVehicle: Database.Statement;
  private readonly putOffset: Database.Statement;
  private readonly getOffset: Database.Statement;
  private readonly addCounter: Database.Statement;
  private readonly applyTx: (b: PartitionBatch) => void;

  constructor(path: string) {
    this.db = openStore(path);
    migrate(this.db, POINTS_COMPONENT, POINT_MIGRATIONS);
    this.insertPoint = this.db.prepare('INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?, ?, ?)');
    this.getVehicle = this.db.prepare('SELECT n_points, first_ts, last_ts, digest FROM vehicles WHERE vehicle_id = ?');
    this.putVehicle = this.db.prepare('INSERT OR REPLACE INTO vehicles VALUES (?, ?, ?, ?, ?)');
    this.putOffset = this.db.prepare('INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)');
    this.getOffset = this.db.prepare('SELECT next_offset FROM offsets WHERE topic = ? AND partition = ?');
    this.addCounter = this.db.prepare('INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value');
    this.applyTx = this.db.transaction((b: PartitionBatch) => {
      let duplicates = 0;
      for (const v of b.vehicles) {
        const row = this.getVehicle.get(v.vehicleId) as { n_points: number; first_ts: number; last_ts: number; digest: number } | undefined;
        let n = row?.n_points ?? 0;
        let first = row?.first_ts ?? Infinity;
        let last = row?.last_ts ?? -Infinity;
        let digest = row?.digest ?? 0;
        for (const p of v.points) {
          // The same vehicle and time again (a device resend, a producer retry) is one point.
          if (this.insertPoint.run(v.vehicleId, p.ts, p.lat, p.lon, p.speedKmh ?? null, p.heading ?? null).changes === 0) {
            duplicates++;
            continue;
          }
          n++;
          if (p.ts < first) first = p.ts;
          if (p.ts > last) last = p.ts;
          digest = chainDigest(digest, p);
        }
        if (n > 0) this.putVehicle.run(v.vehicleId, n, first, last, digest);
      }
      this.putOffset.run(b.topic, b.partition, b.nextOffset);
      this.addCounter.run('messages', b.messages);
      this.addCounter.run('points', b.points - duplicates);
      this.addCounter.run('duplicate_points', duplicates);
      this.addCounter.run('dead_letters', b.deadLetters);
      this.addCounter.run('rejected_points', b.rejectedPoints);
    });
  }

  resumeOffset(topic: string, partition: number): string | undefined {
    return (this.getOffset.get(topic, partition) as { next_offset: string } | undefined)?.next_offset;
  }

  apply(batch: PartitionBatch): void {
    this.applyTx(batch);
  }

  counters(): Record<string, number> {
    const rows = this.db.prepare('SELECT name, value FROM counters').all() as { name: string; value: number }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  vehicles(): VehicleSummary[] {
    const rows = this.db.prepare('SELECT * FROM vehicles ORDER BY vehicle_id').all() as { vehicle_id: string; n_points: number; first_ts: number; last_ts: number; digest: number }[];
    return rows.map((r) => ({ vehicleId: r.vehicle_id, nPoints: r.n_points, firstTs: r.first_ts, lastTs: r.last_ts, digest: (r.digest >>> 0).toString(16).padStart(8, '0') }));
  }

  /** A vehicle's stored points in time order. */
  points(vehicleId: string): GpsPoint[] {
    const rows = this.db.prepare('SELECT * FROM points WHERE vehicle_id = ? ORDER BY ts').all(vehicleId) as { vehicle_id: string; ts: number; lat: number; lon: number; speed_kmh: number | null; heading: number | null }[];
    return rows.map((r) => {
      const p: GpsPoint = { vehicleId: r.vehicle_id, ts: r.ts, lat: r.lat, lon: r.lon };
      if (r.speed_kmh !== null) p.speedKmh = r.speed_kmh;
      if (r.heading !== null) p.heading = r.heading;
      return p;
    });
  }

  /** Every stored point, vehicle by vehicle in time order (streaming, constant memory). */
  *allPoints(batchSize = 4096): Iterable<GpsPoint[]> {
    let batch: GpsPoint[] = [];
    for (const r of this.db.prepare('SELECT * FROM points ORDER BY vehicle_id, ts').iterate() as Iterable<{ vehicle_id: string; ts: number; lat: number; lon: number; speed_kmh: number | null; heading: number | null }>) {
      const p: GpsPoint = { vehicleId: r.vehicle_id, ts: r.ts, lat: r.lat, lon: r.lon };
      if (r.speed_kmh !== null) p.speedKmh = r.speed_kmh;
      if (r.heading !== null) p.heading = r.heading;
      batch.push(p);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  close(): void {
    this.db.close();
  }
}
