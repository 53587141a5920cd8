// The pipeline's store as the dashboard's data: the latest label of each vehicle, the model
// versions, label history, scoring features and images (the learning stage's tables, read only),
// and the reviews (the dashboard's own tables). Other processes (`cotrans run`, `classify --db`,
// `cotrans stream`, another dashboard) write the same file: poll() notices their commits through
// SQLite's data_version, which costs one pragma when nothing changed.
import { existsSync } from 'node:fs';
import { readPng } from '@cotrans/features';
import { UserError } from '@cotrans/core';
import { checkSchema, openStore, prepared, type Db } from '@cotrans/ingest';
import { LABELS_COMPONENT, LABEL_MIGRATIONS, labelHistory, latestLabels, modelVersions, scoringFeatures, type LabelChange, type ModelVersionRecord } from '@cotrans/cotrans';
import type { Prediction } from './predictions.js';
import { ReviewStore, type Review } from './reviews.js';
import { streamView, type StreamView } from './stream-health.js';

/** A label is stale when it was scored this long before the fleet's newest scoring (the vehicle was not re-scored). */
export const STALE_AFTER_MS = 24 * 3600 * 1000;

export interface ModelInfo {
  /** The newest recorded version (the one that scored last), with its training summary. */
  current: ModelVersionRecord | null;
  versions: number;
  /** Vehicles per model version of their latest label. */
  vehiclesByVersion: Record<string, number>;
}

export const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;
/** Column -> per label the QUANTILES of its values (null when no vehicle of that label has one). */
export type FeatureDistributions = Record<string, { shared: number[] | null; private: number[] | null; n: { shared: number; private: number } }>;

export interface PollResult {
  /** The latest labels changed: the fleet is to be rebuilt. */
  labels: boolean;
  /** Latest verdicts written by other processes since the last poll. */
  reviews: Review[];
}

export class StoreSource {
  readonly db: Db;
  readonly reviews: ReviewStore;
  private dataVersion = -1;
  private labelSignature = '';
  private lastReviewId = 0;

  constructor(readonly path: string) {
    // opened for writing (reviews), so a missing file would be created: refuse it instead
    if (!existsSync(path)) throw UserError.at({ file: path }, 'no such store database (write one with `cotrans run` or `cotrans classify --db`)');
    this.db = openStore(path);
    try {
      checkSchema(this.db, LABELS_COMPONENT, LABEL_MIGRATIONS);
      this.reviews = new ReviewStore(this.db);
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.lastReviewId = this.reviews.lastId();
    this.dataVersion = this.currentDataVersion();
    this.labelSignature = this.signature();
  }

  private currentDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Changes whenever a vehicle gains, loses or replaces its latest label (one pass over an index-sized table). */
  private signature(): string {
    const r = prepared(this.db, 'SELECT count(*) AS n, coalesce(max(scored_at), 0) AS m, total(scored_at) AS t FROM vehicle_labels').get() as { n: number; m: number; t: number };
    return `${r.n}:${r.m}:${r.t}`;
  }

  /** The latest labels as the dashboard shows them, with each one's version, scoring time and staleness. */
  predictions(): Prediction[] {
    const rows = latestLabels(this.db);
    const current = this.model().current?.id;
    const newest = rows.reduce((m, r) => Math.max(m, r.scoredAt), 0);
    const flips = new Map((prepared(this.db, 'SELECT vehicle_id AS id, count(*) AS n FROM label_history WHERE previous IS NOT NULL AND previous <> label GROUP BY vehicle_id').all() as { id: string; n: number }[]).map((r) => [r.id, r.n]));
    return rows.map((r) => ({
      vehicleId: r.vehicleId,
      label: r.label,
      pShared: Number.isFinite(r.pShared) ? r.pShared : r.label === 'shared' ? 1 : 0,
      pRf: Number.isFinite(r.pRf) ? r.pRf : null,
      pCnn: Number.isFinite(r.pCnn) ? r.pCnn : null,
      flags: r.flags,
      modelVersion: r.modelVersion,
      scoredAt: r.scoredAt,
      windowEnd: r.windowEnd,
      flips: flips.get(r.vehicleId) ?? 0,
      stale: (current !== undefined && r.modelVersion !== current) || newest - r.scoredAt > STALE_AFTER_MS,
    }));
  }

  /** What other connections committed since the last call. */
  poll(): PollResult {
    const dv = this.currentDataVersion();
    if (dv === this.dataVersion) return { labels: false, reviews: [] };
    this.dataVersion = dv;
    const sig = this.signature();
    const labels = sig !== this.labelSignature;
    this.labelSignature = sig;
    const last = this.reviews.lastId();
    const reviews = last > this.lastReviewId ? this.reviews.latestSince(this.lastReviewId) : [];
    this.lastReviewId = last;
    return { labels, reviews };
  }

  model(): ModelInfo {
    const versions = modelVersions(this.db);
    const by = prepared(this.db, 'SELECT model_version AS v, count(*) AS n FROM vehicle_labels GROUP BY model_version').all() as { v: string; n: number }[];
    // the current version is the newest that scored anything (a version recorded but never used is not current)
    const used = new Set(by.map((r) => r.v));
    const current = [...versions].reverse().find((v) => used.has(v.id)) ?? versions[versions.length - 1] ?? null;
    return { current, versions: versions.length, vehiclesByVersion: Object.fromEntries(by.map((r) => [r.v, r.n])) };
  }

  /**
   * Per feature column and label: the 10th, 25th, 50th, 75th and 90th percentiles of the latest
   * scoring's features over the fleet (one pass over scoring_features; the caller caches it per
   * fleet rebuild).
   */
  featureDistributions(): FeatureDistributions {
    const rows = prepared(this.db, `SELECT l.label AS label, f.features AS features FROM vehicle_labels l
      JOIN scoring_features f ON f.vehicle_id = l.vehicle_id AND f.scored_at = l.scored_at`).all() as { label: string; features: string }[];
    const values = new Map<string, { shared: number[]; private: number[] }>();
    for (const r of rows) {
      const side = r.label === 'shared' ? 'shared' : 'private';
      for (const [col, v] of Object.entries(JSON.parse(r.features) as Record<string, number | null>)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        let e = values.get(col);
        if (!e) values.set(col, (e = { shared: [], private: [] }));
        e[side].push(v);
      }
    }
    const q = (xs: number[]) => {
      if (!xs.length) return null;
      xs.sort((a, b) => a - b);
      return QUANTILES.map((p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]);
    };
    return Object.fromEntries([...values].map(([col, e]) => [col, { shared: q(e.shared), private: q(e.private), n: { shared: e.shared.length, private: e.private.length } }]));
  }

  /** Each vehicle's latest scoring's features, by column (non-finite values left out). */
  latestFeatures(): Map<string, Record<string, number>> {
    const rows = prepared(this.db, `SELECT l.vehicle_id AS id, f.features AS features FROM vehicle_labels l
      JOIN scoring_features f ON f.vehicle_id = l.vehicle_id AND f.scored_at = l.scored_at`).all() as { id: string; features: string }[];
    return new Map(rows.map((r) => [r.id, JSON.parse(r.features) as Record<string, number>]));
  }

  /** What the stream last wrote (null when none has written this store). */
  stream(now = Date.now()): StreamView | null {
    return streamView(this.db, now);
  }

  labelHistory(id: string): LabelChange[] {
    return labelHistory(this.db, id);
  }

  /** The features of the vehicle's latest scoring, by column (null when none were stored). */
  features(id: string): Record<string, number> | null {
    const all = scoringFeatures(this.db, id);
    return all.length ? all[all.length - 1].features : null;
  }

  /** A stored PNG of the vehicle (`aggregate.png` or `<day>.png`). */
  image(id: string, name = 'aggregate.png'): Buffer | null {
    const r = prepared(this.db, 'SELECT png FROM vehicle_images WHERE vehicle_id = ? AND name = ?').get(id, name) as { png: Buffer } | undefined;
    return r?.png ?? null;
  }

  /**
   * The vehicle's stored day images back as pixels in [0, 1] (the PNGs are 8-bit: within 1/510 of
   * what was scored), in day order, with the aggregate; null without day images.
   */
  async dayImages(id: string): Promise<{ vehicleId: string; size: number; dayKeys: string[]; days: Float32Array[]; aggregate: Float32Array } | null> {
    const rows = prepared(this.db, "SELECT name, png FROM vehicle_images WHERE vehicle_id = ? AND name GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].png' ORDER BY name").all(id) as { name: string; png: Buffer }[];
    if (!rows.length) return null;
    const days = await Promise.all(rows.map(async (r) => (await readPng(r.png))));
    const size = days[0].width;
    const px = (p: Uint8Array) => Float32Array.from(p, (v) => v / 255);
    return { vehicleId: id, size, dayKeys: rows.map((r) => r.name.slice(0, 10)), days: days.map((d) => px(d.pixels)), aggregate: new Float32Array(size * size) };
  }

  /** Names of the vehicle's stored images. */
  imageNames(id: string): string[] {
    return (prepared(this.db, 'SELECT name FROM vehicle_images WHERE vehicle_id = ? ORDER BY name').all(id) as { name: string }[]).map((r) => r.name);
  }

  close(): void {
    this.db.close();
  }
}
