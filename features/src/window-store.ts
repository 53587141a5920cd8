// The streaming side of the features stage, made durable: a consumer handler (PointHandler of
// @cotrans/ingest) that keeps one VehicleWindow per vehicle in memory and, in one SQLite
// transaction per batch, writes the snapshots of the vehicles the batch touched together with the
// partition's next offset. The state and its offsets never disagree, whatever moment a crash hits:
// on restart every window is restored from its snapshot and the consumer resumes at the stored
// offset, so no fix is lost and none is counted twice.
import Database from 'better-sqlite3';
import { UserError, excerpt, jsonErrorReason } from '@cotrans/core';
import type { PartitionBatch, PointHandler } from '@cotrans/ingest';
import type { FleetResult } from './fleet.js';
import type { VehicleImages } from './images.js';
import { resolveOptions, type FeatureOptions, type ResolvedOptions } from './options.js';
import type { VehicleFeatures } from './summarise.js';
import { addCounts, emptyCounts, VehicleWindow, type CleaningCounts, type WindowSnapshot } from './window.js';

/** Bumped when the stored layout changes; a file of another version is refused, not misread. */
const STORE_VERSION = '1';

export interface WindowStoreCounters {
  batches: number;
  messages: number;
  /** Fixes applied to the windows (after the consumer's validation; cleaning counts are per window). */
  points: number;
  deadLetters: number;
  rejectedPoints: number;
}

/** A batch applied in memory, not yet durable (SqliteWindowStore.stage). */
export interface StagedBatch {
  readonly batch: PartitionBatch;
  /** Windows the batch changed, in batch order. */
  readonly touched: VehicleWindow[];
  /** Of those, the ones the batch created. */
  readonly fresh: string[];
}

export interface WindowStoreResultOptions {
  /** Keep images in the returned map (default true). */
  keepImages?: boolean;
  /** Called once per vehicle, in vehicleId order. */
  onVehicle?: (features: VehicleFeatures, images: VehicleImages | null) => void;
}

/** The options that change what a window computes, in a stable text form. */
function optionsKey(o: ResolvedOptions): string {
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k as keyof ResolvedOptions]]));
}

export class SqliteWindowStore implements PointHandler {
  readonly db: Database.Database;
  readonly path: string;
  readonly opts: ResolvedOptions;
  private readonly windows = new Map<string, VehicleWindow>();
  private readonly putWindow: Database.Statement;
  private readonly getWindow: Database.Statement;
  private readonly putOffset: Database.Statement;
  private readonly getOffset: Database.Statement;
  private readonly addCounter: Database.Statement;
  private readonly putPartition: Database.Statement;
  private readonly writeTx: (b: PartitionBatch, touched: VehicleWindow[], also?: () => void) => void;
  private snapshotBytes = 0;

  /**
   * Opens (or creates) a state file. A new file needs `opts` (tz at least). An existing one keeps
   * the options it was built with: those given here must agree with them (exit code 1 otherwise,
   * naming the option: windows built under other options cannot be continued); those left out are
   * taken from the file.
   */
  constructor(path: string, opts?: Partial<FeatureOptions>, access: 'write' | 'read' = 'write', load: 'all' | 'by-partition' = 'all') {
    this.path = path;
    const readOnly = access === 'read';
    try {
      // read: a reading command (classify --windows) never writes into what it was given
      this.db = new Database(path, readOnly ? { readonly: true, fileMustExist: true } : {});
    } catch (err) {
      throw new UserError(`${path}: cannot open the window store (${(err as { code?: string }).code ?? excerpt((err as Error).message)})`);
    }
    try {
      // another SQLite file (a point store of `cotrans consume --out`, say) shares table names
      // (offsets, counters): refuse it before touching it, or its offsets would be taken as ours
      let tables: string[];
      try {
        tables = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new UserError(`${path}: not a window store (not an SQLite file)`);
        throw err;
      }
      if (tables.length > 0 && !tables.includes('meta')) throw new UserError(`${path}: not a window store (it has tables ${excerpt(tables.join(', '))})`);
      if (readOnly && tables.length === 0) throw new UserError(`${path}: not a window store (empty; write one with cotrans consume --windows)`);
      if (!readOnly) this.createTables();
      this.opts = this.checkMeta(opts, readOnly);
      // by-partition: a member of a group holds only the partitions assigned to it (loadPartition)
      if (load === 'all') {
        for (const r of this.db.prepare('SELECT vehicle_id, snapshot FROM windows').iterate() as Iterable<{ vehicle_id: string; snapshot: string }>) {
          this.windows.set(r.vehicle_id, this.restoreRow(r.vehicle_id, r.snapshot));
        }
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.putWindow = this.db.prepare('INSERT OR REPLACE INTO windows VALUES (?, ?)');
    this.getWindow = this.db.prepare('SELECT snapshot FROM windows WHERE vehicle_id = ?');
    this.putOffset = this.db.prepare('INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)');
    this.getOffset = this.db.prepare('SELECT next_offset FROM offsets WHERE topic = ? AND partition = ?');
    this.addCounter = this.db.prepare('INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value');
    // a file written before windows were kept by partition, opened read-only, lacks the table
    const partitioned = !readOnly || (this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'window_partitions'").get() !== undefined);
    this.putPartition = this.db.prepare(partitioned ? 'INSERT OR REPLACE INTO window_partitions VALUES (?, ?, ?)' : 'SELECT ?, ?, ?');
    this.writeTx = this.db.transaction((b: PartitionBatch, touched: VehicleWindow[], also?: () => void) => {
      for (const w of touched) {
        const json = JSON.stringify(w.snapshot());
        this.snapshotBytes += json.length;
        this.putWindow.run(w.vehicleId, json);
        this.putPartition.run(w.vehicleId, b.topic, b.partition);
      }
      also?.();
      this.putOffset.run(b.topic, b.partition, b.nextOffset);
      this.addCounter.run('batches', 1);
      this.addCounter.run('messages', b.messages);
      this.addCounter.run('points', b.points);
      this.addCounter.run('dead_letters', b.deadLetters);
      this.addCounter.run('rejected_points', b.rejectedPoints);
    });
  }

  private createTables(): void {
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed batch survives power loss too, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS windows (vehicle_id TEXT PRIMARY KEY, snapshot TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS offsets (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset TEXT NOT NULL,
        PRIMARY KEY (topic, partition));
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS window_partitions (
        vehicle_id TEXT PRIMARY KEY, topic TEXT NOT NULL, partition INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS window_partitions_by_partition ON window_partitions (topic, partition);
    `);
  }

  private checkMeta(opts: Partial<FeatureOptions> | undefined, readOnly: boolean): ResolvedOptions {
    const get = (k: string) => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: string } | undefined)?.value;
    const version = get('version');
    if (version !== undefined && version !== STORE_VERSION) throw new UserError(`${this.path}: window store version ${version}, this build reads version ${STORE_VERSION}`);
    const stored = get('options');
    if (stored === undefined) {
      if (readOnly) throw new UserError(`${this.path}: not a window store (no feature options recorded)`);
      if (!opts?.tz) throw new UserError(`${this.path}: a new window store needs feature options (tz at least)`);
      const ro = resolveOptions(opts as FeatureOptions);
      // fail now, not at the first fix
      new VehicleWindow('', ro);
      const put = this.db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)');
      this.db.transaction(() => {
        put.run('version', STORE_VERSION);
        put.run('options', JSON.stringify(ro));
      })();
      return ro;
    }
    let was: ResolvedOptions;
    try {
      was = resolveOptions(JSON.parse(stored) as ResolvedOptions);
    } catch (err) {
      throw new UserError(`${this.path}: the stored feature options are unreadable (${err instanceof UserError ? err.message : jsonErrorReason(err)})`);
    }
    if (opts) {
      const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
      const want = resolveOptions({ ...was, ...given });
      if (optionsKey(want) !== optionsKey(was)) {
        const diff = (Object.keys(want) as (keyof ResolvedOptions)[])
          .filter((k) => JSON.stringify(want[k]) !== JSON.stringify(was[k]))
          .map((k) => `${k} ${JSON.stringify(was[k])} (stored) vs ${JSON.stringify(want[k])}`);
        throw new UserError(`${this.path}: the windows were built with other feature options: ${diff.join(', ')}; use a new state file`);
      }
    }
    return was;
  }

  private restoreRow(vehicleId: string, json: string): VehicleWindow {
    try {
      return VehicleWindow.restore(JSON.parse(json) as WindowSnapshot);
    } catch (err) {
      throw new UserError(`${this.path}: window of vehicle '${vehicleId}' cannot be restored: ${excerpt((err as Error).message, 120)}`);
    }
  }

  resumeOffset(topic: string, partition: number): string | undefined {
    return (this.getOffset.get(topic, partition) as { next_offset: string } | undefined)?.next_offset;
  }

  /**
   * Applies a batch to the windows and makes it durable with `batch.nextOffset`. A batch wholly
   * below the stored offset (a redelivery) changes nothing; one straddling it cannot be split by
   * offset here and is refused (the consumer never hands one over: it drops the stored messages).
   */
  apply(batch: PartitionBatch): void {
    const staged = this.stage(batch);
    if (staged) this.commit(staged);
  }

  /**
   * The first half of apply: the batch's fixes go into the windows in memory only. Follow with
   * commit() (durable, with the offset) or revert() (memory back to the file). Undefined when the
   * batch is a redelivery that changes nothing.
   */
  stage(batch: PartitionBatch): StagedBatch | undefined {
    const stored = this.resumeOffset(batch.topic, batch.partition);
    if (stored !== undefined) {
      const at = BigInt(stored);
      if (BigInt(batch.nextOffset) <= at) return undefined;
      if (BigInt(batch.firstOffset) < at) {
        throw new Error(`${batch.topic}/${batch.partition}: batch ${batch.firstOffset}..${batch.nextOffset} straddles the stored offset ${stored}`);
      }
    }
    const staged: StagedBatch = { batch, touched: [], fresh: [] };
    try {
      for (const v of batch.vehicles) {
        let w = this.windows.get(v.vehicleId);
        if (!w) {
          w = new VehicleWindow(v.vehicleId, this.opts);
          this.windows.set(v.vehicleId, w);
          staged.fresh.push(v.vehicleId);
        }
        const pts = v.points;
        for (let i = 0; i < pts.length; i++) w.push(pts[i].ts, pts[i].lat, pts[i].lon);
        staged.touched.push(w);
      }
    } catch (err) {
      this.revert(staged);
      throw err;
    }
    return staged;
  }

  /** Makes a staged batch durable: snapshots, offset, counters and `also` (more writes) in one transaction. */
  commit(staged: StagedBatch, also?: () => void): void {
    try {
      this.writeTx(staged.batch, staged.touched, also);
    } catch (err) {
      this.revert(staged);
      throw err;
    }
  }

  /**
   * The file holds the truth: puts the touched windows back to their last committed state, so
   * that memory never runs ahead of what a restart would see.
   */
  revert(staged: StagedBatch): void {
    for (const id of staged.fresh) this.windows.delete(id);
    for (const w of staged.touched) {
      const row = this.getWindow.get(w.vehicleId) as { snapshot: string } | undefined;
      if (row) this.windows.set(w.vehicleId, this.restoreRow(w.vehicleId, row.snapshot));
      else this.windows.delete(w.vehicleId);
    }
  }

  /** Vehicle ids the file holds for a partition. */
  partitionVehicles(topic: string, partition: number): string[] {
    return (this.db.prepare('SELECT vehicle_id FROM window_partitions WHERE topic = ? AND partition = ? ORDER BY vehicle_id').all(topic, partition) as { vehicle_id: string }[]).map((r) => r.vehicle_id);
  }

  /** Loads a partition's windows from the file into memory (with load 'by-partition'); returns their ids. */
  loadPartition(topic: string, partition: number): string[] {
    const ids = this.partitionVehicles(topic, partition);
    for (const id of ids) {
      const row = this.getWindow.get(id) as { snapshot: string } | undefined;
      if (row) this.windows.set(id, this.restoreRow(id, row.snapshot));
    }
    return ids;
  }

  /** Forgets a partition's windows in memory (the partition went to another member); the file keeps them. */
  dropPartition(topic: string, partition: number): void {
    for (const id of this.partitionVehicles(topic, partition)) this.windows.delete(id);
  }

  /**
   * Replaces windows with snapshots taken elsewhere (a changelog) and sets the partition's offset,
   * in one transaction; `also` runs inside it.
   */
  restoreSnapshots(topic: string, partition: number, snapshots: WindowSnapshot[], nextOffset: string | undefined, also?: () => void): void {
    const restored = snapshots.map((s) => this.restoreRow(s.vehicleId, JSON.stringify(s)));
    this.db.transaction(() => {
      for (let i = 0; i < restored.length; i++) {
        this.putWindow.run(restored[i].vehicleId, JSON.stringify(snapshots[i]));
        this.putPartition.run(restored[i].vehicleId, topic, partition);
      }
      if (nextOffset !== undefined) this.putOffset.run(topic, partition, nextOffset);
      also?.();
    })();
    for (const w of restored) this.windows.set(w.vehicleId, w);
  }

  /** Ids of the vehicles held in memory. */
  vehicleIds(): string[] {
    return [...this.windows.keys()];
  }

  /** Vehicles with a window. */
  get vehicles(): number {
    return this.windows.size;
  }

  /** The window of a vehicle (read it; feeding it directly would bypass the checkpoints). */
  window(vehicleId: string): VehicleWindow | undefined {
    return this.windows.get(vehicleId);
  }

  /** Totals applied so far (all runs on this file). */
  counters(): WindowStoreCounters {
    const rows = this.db.prepare('SELECT name, value FROM counters').all() as { name: string; value: number }[];
    const c = Object.fromEntries(rows.map((r) => [r.name, r.value])) as Record<string, number | undefined>;
    return { batches: c.batches ?? 0, messages: c.messages ?? 0, points: c.points ?? 0, deadLetters: c.dead_letters ?? 0, rejectedPoints: c.rejected_points ?? 0 };
  }

  /** Cleaning counts so far over all windows (fixes still in a reorder buffer are not yet kept nor dropped). */
  cleaning(): CleaningCounts {
    const c = emptyCounts();
    for (const w of this.windows.values()) addCounts(c, w.counts);
    return c;
  }

  /** Characters of snapshot JSON written by this process (for write-cost accounting). */
  get snapshotBytesWritten(): number {
    return this.snapshotBytes;
  }

  /**
   * Features and images of every vehicle's window as it stands (fixes still in a reorder buffer
   * included, open stays and trips closed), in the shape of computeFleet; the windows are not
   * changed, so consuming can go on.
   */
  results(o: WindowStoreResultOptions = {}): FleetResult {
    const features: VehicleFeatures[] = [];
    const images = new Map<string, VehicleImages>();
    const cleaning = emptyCounts();
    const cleaningByVehicle = new Map<string, CleaningCounts>();
    const keep = o.keepImages ?? true;
    for (const id of [...this.windows.keys()].sort()) {
      const r = this.windows.get(id)!.result();
      features.push(r.features);
      if (r.images && keep) images.set(id, r.images);
      addCounts(cleaning, r.cleaning);
      cleaningByVehicle.set(id, r.cleaning);
      o.onVehicle?.(r.features, r.images);
    }
    return { features, images, cleaning, cleaningByVehicle };
  }

  close(): void {
    this.db.close();
  }
}
