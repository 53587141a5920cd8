// The stream's consumer handler: windows of the partitions this member holds (restored from the
// local store, then from the changelog where the store is behind), scoring on the schedule's
// rules, labels to the labels topic and the store, every window change to the changelog. A batch's
// changelog records and labels are produced before its state is committed to the store, and the
// consumer commits the offset after that: whatever moment a crash hits, the store and the changelog
// are at or ahead of the group's offset, and a replay rebuilds the same windows.
import type Database from 'better-sqlite3';
import kafkajs, { type Kafka, type Producer, type Message } from 'kafkajs';
import type { PartitionBatch, PointHandler } from '@cotrans/ingest';
import type { SqliteWindowStore, VehicleFeatures, VehicleImages } from '@cotrans/features';
import { changelogMessage, changelogRanges, readChangelog } from './changelog.js';
import type { StreamHealthWriter } from './health.js';
import type { LabelLog, LabelRecord, Scorer } from './labels.js';
import { ageing, isDue, newVehicleState, touched, windowDays, type Schedule, type VehicleState } from './schedule.js';
import type { StreamMetrics } from './metrics.js';

export interface StreamJobOptions {
  kafka: Kafka;
  topic: string;
  labelsTopic: string;
  changelogTopic: string;
  store: SqliteWindowStore;
  labels: LabelLog;
  schedule: Schedule;
  model: { version: string; scorer: Scorer };
  metrics?: StreamMetrics;
  /** Writes the stream's health with each batch's state. */
  health?: StreamHealthWriter;
  log?: (line: string) => void;
}

interface PartitionState {
  watermark: number;
  /** Next changelog offset this store has seen (its own writes included); null before the first. */
  changelogNext: bigint | null;
}

export class StreamJob implements PointHandler {
  private readonly o: StreamJobOptions;
  private readonly db: Database.Database;
  private readonly producer: Producer;
  private readonly states = new Map<string, VehicleState>();
  private readonly byPartition = new Map<number, Set<string>>();
  private readonly parts = new Map<number, PartitionState>();
  private readonly restored = new Map<number, Promise<void>>();
  private readonly done = new Set<number>();
  private assignment: number[] = [];
  private joined = false;
  private chain: Promise<unknown> = Promise.resolve();
  private closing = false;
  private model: { version: string; scorer: Scorer };
  private readonly putState: Database.Statement;
  private readonly putPart: Database.Statement;

  constructor(o: StreamJobOptions) {
    this.o = o;
    this.model = o.model;
    this.db = o.store.db;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS stream_vehicles (vehicle_id TEXT PRIMARY KEY, topic TEXT NOT NULL, partition INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS stream_partitions (topic TEXT NOT NULL, partition INTEGER NOT NULL, watermark REAL NOT NULL, changelog_next TEXT, PRIMARY KEY (topic, partition));
    `);
    this.putState = this.db.prepare('INSERT OR REPLACE INTO stream_vehicles VALUES (?, ?, ?, ?)');
    this.putPart = this.db.prepare('INSERT OR REPLACE INTO stream_partitions VALUES (?, ?, ?, ?)');
    this.producer = o.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 } });
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.model.scorer.dispose();
  }

  get modelVersion(): string {
    return this.model.version;
  }

  /** Joined the group and restored every assigned partition. */
  get ready(): boolean {
    return this.joined && this.assignment.every((p) => this.done.has(p));
  }

  get counts(): { vehicles: number; stale: number } {
    let stale = 0;
    for (const s of this.states.values()) if (s.stale || s.agedOut) stale++;
    return { vehicles: this.states.size, stale };
  }

  /** Runs `f` after everything queued before it: batches, restores, reloads and the flush never interleave. */
  private locked<T>(f: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  assigned(topic: string, partitions: number[]): void {
    this.joined = true;
    const before = new Set(this.assignment);
    this.assignment = [...partitions].sort((a, b) => a - b);
    const now = new Set(partitions);
    const gone = [...before].filter((p) => !now.has(p));
    const fresh = partitions.filter((p) => !before.has(p) || !this.restored.has(p));
    if (gone.length) {
      // every batch is durable when it returns: letting go is forgetting
      void this.locked(() => {
        for (const p of gone) {
          if (this.assignment.includes(p)) continue;
          this.forget(p);
          this.restored.delete(p);
          this.done.delete(p);
        }
      });
      this.o.log?.(`partitions ${gone.join(', ')} of ${topic} went to another member`);
    }
    if (fresh.length) this.restoreAll(fresh);
  }

  private forget(p: number): void {
    this.o.store.dropPartition(this.o.topic, p);
    for (const id of this.byPartition.get(p) ?? []) this.states.delete(id);
    this.byPartition.delete(p);
    this.parts.delete(p);
  }

  private restoreAll(partitions: number[]): void {
    const job = this.locked(() => this.restore(partitions));
    job.catch(() => undefined); // awaited through resumeOffset
    for (const p of partitions) this.restored.set(p, job);
  }

  async resumeOffset(topic: string, partition: number): Promise<string | undefined> {
    if (!this.restored.has(partition)) this.restoreAll([partition]);
    await this.restored.get(partition);
    return this.o.store.resumeOffset(topic, partition);
  }

  /** Local store first; then the changelog from the offset the store has seen to its end. */
  private async restore(partitions: number[]): Promise<void> {
    const { store, topic, changelogTopic } = this.o;
    const t0 = Date.now();
    for (const p of partitions) {
      this.forget(p);
      const ids = new Set(store.loadPartition(topic, p));
      this.byPartition.set(p, ids);
      for (const r of this.db.prepare('SELECT vehicle_id, state FROM stream_vehicles WHERE topic = ? AND partition = ?').iterate(topic, p) as Iterable<{ vehicle_id: string; state: string }>) {
        if (ids.has(r.vehicle_id)) this.states.set(r.vehicle_id, JSON.parse(r.state) as VehicleState);
      }
      for (const id of ids) if (!this.states.has(id)) this.states.set(id, newVehicleState());
      const row = this.db.prepare('SELECT watermark, changelog_next FROM stream_partitions WHERE topic = ? AND partition = ?').get(topic, p) as { watermark: number; changelog_next: string | null } | undefined;
      this.parts.set(p, { watermark: row?.watermark ?? -1, changelogNext: row?.changelog_next != null ? BigInt(row.changelog_next) : null });
    }
    const ranges = await changelogRanges(this.o.kafka, changelogTopic, topic, partitions.map((p) => ({ partition: p, seen: this.parts.get(p)!.changelogNext })));
    const records = await readChangelog(this.o.kafka, changelogTopic, ranges);
    let n = 0;
    // a crash after the changelog was written and before the store: the labels of those records
    // may be missing from the store (and, where the labels topic has another leader, from it)
    const labels: LabelRecord[] = [];
    for (const r of ranges) {
      const got = [...records.get(r.partition)!.values()];
      const ps = this.parts.get(r.partition)!;
      const stored = store.resumeOffset(topic, r.partition);
      let src = stored !== undefined ? BigInt(stored) : -1n;
      for (const g of got) if (g.sourceOffset > src) src = g.sourceOffset;
      for (const g of got) if (g.value.s.lastTs > ps.watermark) ps.watermark = g.value.s.lastTs;
      ps.changelogNext = r.end;
      store.restoreSnapshots(topic, r.partition, got.map((g) => g.value.w), src >= 0n && src.toString() !== stored ? src.toString() : undefined, () => {
        for (const g of got) this.putState.run(g.vehicleId, topic, r.partition, JSON.stringify(g.value.s));
        this.writePart(r.partition);
        const mine = got.flatMap((g) => (g.value.s.label ? [g.value.s.label] : []));
        this.o.labels.record(mine);
        labels.push(...mine);
      });
      const ids = this.byPartition.get(r.partition)!;
      for (const g of got) {
        ids.add(g.vehicleId);
        this.states.set(g.vehicleId, g.value.s);
      }
      n += got.length;
    }
    if (labels.length) await this.producer.send({ topic: this.o.labelsTopic, acks: -1, messages: labels.map((l) => ({ key: l.vehicleId, value: JSON.stringify(l) })) });
    for (const p of partitions) this.done.add(p);
    this.o.log?.(`restored partitions ${partitions.join(', ')} of ${topic}: ${partitions.reduce((a, p) => a + (this.byPartition.get(p)?.size ?? 0), 0)} vehicles, ${n} from ${changelogTopic} (${Date.now() - t0} ms)`);
  }

  private writePart(p: number): void {
    const ps = this.parts.get(p)!;
    this.putPart.run(this.o.topic, p, ps.watermark, ps.changelogNext === null ? null : ps.changelogNext.toString());
  }

  apply(batch: PartitionBatch): Promise<void> {
    return this.locked(() => this.applyBatch(batch));
  }

  private async applyBatch(batch: PartitionBatch): Promise<void> {
    const { store, schedule } = this.o;
    const p = batch.partition;
    const staged = store.stage(batch);
    if (!staged) return;
    const ps = this.parts.get(p);
    if (!ps) throw new Error(`${batch.topic}/${p}: a batch of a partition that was not restored`);
    const ids = this.byPartition.get(p)!;
    const before = new Map<string, VehicleState | undefined>();
    const wmBefore = ps.watermark;
    const keep = (id: string) => {
      if (!before.has(id)) before.set(id, this.states.get(id));
    };
    try {
      for (const v of batch.vehicles) {
        if (!v.points.length) continue;
        keep(v.vehicleId);
        ids.add(v.vehicleId);
        const s = touched(this.states.get(v.vehicleId) ?? newVehicleState(), v.points[0].ts, v.points[v.points.length - 1].ts);
        this.states.set(v.vehicleId, s);
        if (s.lastTs > ps.watermark) ps.watermark = s.lastTs;
      }
      const changed = new Set(batch.vehicles.map((v) => v.vehicleId));
      const labels = await this.scoreDue(p, changed, keep, schedule.dayOf(ps.watermark) !== schedule.dayOf(wmBefore) || Math.floor(ps.watermark / 3_600_000) !== Math.floor(wmBefore / 3_600_000));
      await this.persist(p, [...changed], labels, batch.nextOffset, (also) =>
        store.commit(staged, () => {
          also();
          this.o.health?.batch(batch);
        }),
      );
    } catch (err) {
      store.revert(staged);
      for (const [id, s] of before) {
        if (s) this.states.set(id, s);
        else {
          this.states.delete(id);
          ids.delete(id);
        }
      }
      ps.watermark = wmBefore;
      throw err;
    }
    this.o.metrics?.batch(batch.messages, batch.points);
  }

  /**
   * Scores the vehicles of partition `p` that are due (all dirty ones while closing), and, when
   * the watermark moved on, marks those it aged. Adds every vehicle whose state changed to `changed`.
   */
  private async scoreDue(p: number, changed: Set<string>, keep: (id: string) => void, watermarkMoved: boolean, all = false): Promise<LabelRecord[]> {
    const { schedule } = this.o;
    const ps = this.parts.get(p)!;
    const due: string[] = [];
    const aged: string[] = [];
    const candidates = watermarkMoved || this.closing || all ? this.byPartition.get(p)! : changed;
    for (const id of candidates) {
      const s = this.states.get(id)!;
      const a = ageing(s, ps.watermark, schedule);
      if (a === 'aged-out') aged.push(id);
      else if (a === 'stale' || (all && !s.agedOut) || (s.dirtySince >= 0 && (this.closing || isDue(s, schedule)))) due.push(id);
    }
    for (const id of [...due, ...aged]) {
      keep(id);
      changed.add(id);
    }
    for (const id of due) {
      const s = this.states.get(id)!;
      if (ageing(s, ps.watermark, schedule) === 'stale') this.states.set(id, { ...s, stale: true });
    }
    const labels = await this.score(due, ps.watermark);
    const scoredAt = Date.now();
    for (const id of aged) {
      const s = this.states.get(id)!;
      // the window holds none of its days any more: no probability, the last label flagged
      const w = windowDays(ps.watermark, schedule);
      const label: LabelRecord | null = s.label && { ...s.label, pShared: NaN, pRf: NaN, pCnn: NaN, modelVersion: this.model.version, windowStart: schedule.dayStart(w.start), windowEnd: ps.watermark, points: 0, scoredAt, flags: ['aged_out', 'stale'] };
      this.states.set(id, { ...s, stale: true, agedOut: true, dirtySince: -1, label });
      if (label) labels.push(label);
    }
    return labels;
  }

  /** Labels for `ids` with the current model; their states record the scoring. */
  private async score(ids: string[], watermark: number): Promise<LabelRecord[]> {
    if (!ids.length) return [];
    const { store, schedule } = this.o;
    const t0 = performance.now();
    const features: VehicleFeatures[] = [];
    const images = new Map<string, VehicleImages>();
    for (const id of ids) {
      const r = store.window(id)!.result();
      features.push(r.features);
      if (r.images) images.set(id, r.images);
    }
    const rows = await this.model.scorer.classify(features, images);
    this.o.metrics?.scoring.observe((performance.now() - t0) / 1000);
    const scoredAt = Date.now();
    return rows.map((row, i) => {
      const s = this.states.get(row.vehicleId)!;
      const w = windowDays(s.lastTs, schedule);
      const label: LabelRecord = {
        vehicleId: row.vehicleId,
        label: row.shared ? 'shared' : 'private',
        pShared: row.pShared,
        pRf: row.pRf,
        pCnn: row.pCnn,
        modelVersion: this.model.version,
        windowStart: schedule.dayStart(w.start),
        windowEnd: s.lastTs,
        points: features[i].nPoints,
        scoredAt,
        // sorted: the store keeps flags as a set
        flags: (s.stale && watermark - s.lastTs >= schedule.staleMs ? [...row.flags, 'stale'] : [...row.flags]).sort(),
      };
      this.states.set(row.vehicleId, { ...s, dirtySince: -1, scoredTs: s.lastTs, label });
      return label;
    });
  }

  /**
   * Produces the changelog records of `changed` and the labels, then commits the states (through
   * `commit` when a batch's windows go with them, else in a transaction of its own).
   */
  private async persist(p: number, changed: string[], labels: LabelRecord[], sourceOffset: string | undefined, commit?: (also: () => void) => void): Promise<void> {
    const { store, topic, changelogTopic, labelsTopic } = this.o;
    const ps = this.parts.get(p)!;
    const src = sourceOffset ?? store.resumeOffset(topic, p) ?? '0';
    const log: Message[] = changed.map((id) => changelogMessage(id, p, { w: store.window(id)!.snapshot(), s: this.states.get(id)! }, src));
    const out: Message[] = labels.map((l) => ({ key: l.vehicleId, value: JSON.stringify(l) }));
    const topicMessages = [];
    if (log.length) topicMessages.push({ topic: changelogTopic, messages: log });
    if (out.length) topicMessages.push({ topic: labelsTopic, messages: out });
    if (topicMessages.length) {
      const md = await this.producer.sendBatch({ acks: -1, topicMessages });
      const mine = md.find((m) => m.topicName === changelogTopic && m.partition === p);
      if (mine) ps.changelogNext = BigInt(mine.baseOffset ?? '0') + BigInt(log.length);
    }
    let changes = 0;
    const also = () => {
      for (const id of changed) this.putState.run(id, topic, p, JSON.stringify(this.states.get(id)));
      this.writePart(p);
      changes = this.o.labels.record(labels);
    };
    if (commit) commit(also);
    else this.db.transaction(also)();
    this.o.metrics?.labelsProduced.inc(labels.length);
    this.o.metrics?.labelChanges.inc(changes);
  }

  /** Scores every dirty (or, with `all`, every) vehicle of the partitions held, and makes it durable. */
  private async rescore(all: boolean): Promise<number> {
    let n = 0;
    for (const p of this.assignment) {
      if (!this.done.has(p)) continue;
      const changed = new Set<string>();
      const labels = await this.scoreDue(p, changed, () => undefined, true, all);
      if (!changed.size) continue;
      await this.persist(p, [...changed], labels, undefined);
      n += labels.length;
    }
    return n;
  }

  /** Before stopping: everything dirty is scored, and every later batch scores what it touched. */
  flush(): Promise<number> {
    return this.locked(() => {
      this.closing = true;
      return this.rescore(false);
    });
  }

  /** Takes a new model and re-scores every vehicle held with it. */
  swapModel(next: { version: string; scorer: Scorer }): Promise<number> {
    return this.locked(async () => {
      const old = this.model;
      this.model = next;
      try {
        return await this.rescore(true);
      } finally {
        old.scorer.dispose();
      }
    });
  }

  /** The label the store holds for a vehicle this member has, for tests and tools. */
  label(vehicleId: string): LabelRecord | null {
    return this.states.get(vehicleId)?.label ?? null;
  }
}
