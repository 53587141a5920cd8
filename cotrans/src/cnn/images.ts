// M2, the image view: a day-level CNN (one 24x24 image per day; a vehicle's score is the mean
// log-odds of its best days by default, or the mean over its days) and/or a vehicle-level CNN (the days
// stacked as channels), averaged when both are on. The default is the day-level model alone: a
// vehicle is shared when some of its days are platform days, whatever it does on the others.
import { UserError, readJsonObject } from '@cotrans/core';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Cnn, type CnnConfig, type EpochLog } from './net.js';
import type { BackendPreference } from './backend.js';
import { mulberry32, shuffle } from '@cotrans/core';
import { logit, sigmoid } from '../maths.js';
import type { DomainMethod } from './domain.js';

/** Structurally @cotrans/features' VehicleImages. */
export interface VehicleImageSet {
  vehicleId: string;
  size: number;
  dayKeys: string[];
  days: Float32Array[];
  aggregate: Float32Array;
}

export const IMAGE_MODES = ['day', 'vehicle', 'both'] as const;
export type ImageMode = (typeof IMAGE_MODES)[number];
export const DAY_SCORES = ['top', 'mean'] as const;

export interface ImageModelOptions {
  mode: ImageMode;
  /** Channels of the vehicle-level model: the most recent days, zero-padded (7). */
  dayChannels: number;
  /**
   * How the day-level model's day scores become the vehicle's: 'mean' over its days, or 'top': the
   * mean log-odds of its `topDays` highest-scoring days. A part-time driver is a private car on most
   * days and a taxi on a few; the mean dilutes those few days below most heavy private drivers.
   */
  dayScore: (typeof DAY_SCORES)[number];
  /** Days averaged by `dayScore: 'top'` (2). */
  topDays: number;
  /** Vehicles held out of training for early stopping and the ensemble weight. */
  valFraction: number;
  cnn: Partial<CnnConfig>;
  seed: number;
  backend?: BackendPreference;
}

export const DEFAULT_IMAGE_MODEL: ImageModelOptions = { mode: 'day', dayScore: 'top', topDays: 2, dayChannels: 7, valFraction: 0.2, cnn: {}, seed: 0 };

function dayImages(v: VehicleImageSet): Float32Array[] {
  return v.days.length ? v.days : [v.aggregate];
}

function stackDays(v: VehicleImageSet, channels: number): Float32Array {
  const px = v.size * v.size;
  const out = new Float32Array(px * channels);
  const order = v.dayKeys.map((k, i) => [k, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  const chosen = order.slice(-channels);
  chosen.forEach((d, c) => {
    const img = v.days[d];
    for (let p = 0; p < px; p++) out[p * channels + c] = img[p];
  });
  return out;
}

const mean = (v: Float32Array | Float64Array): number => {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
};

/** sigmoid of the mean log-odds (clipped at 1e-5) of the `k` highest day scores. */
export function topDaysScore(days: Float32Array | Float64Array, k: number): number {
  const top = Array.from(days).sort((a, b) => b - a).slice(0, Math.max(1, k));
  let z = 0;
  for (const p of top) z += logit(p, 1e-5);
  return sigmoid(z / top.length);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface ImageFitReport {
  day?: { epochs: EpochLog[]; bestEpoch: number };
  vehicle?: { epochs: EpochLog[]; bestEpoch: number };
  /** On the held-out vehicles: Brier score and accuracy of the (pseudo-)labels. */
  heldOut: { n: number; brier: number; accuracy: number };
}

export class ImageModel {
  readonly options: ImageModelOptions;
  day: Cnn | null = null;
  vehicle: Cnn | null = null;
  size = 0;

  constructor(options: Partial<ImageModelOptions> = {}) {
    this.options = { ...DEFAULT_IMAGE_MODEL, ...options };
  }

  private async ensureNets(size: number) {
    if (this.size && this.size !== size) throw new RangeError(`images are ${size}px but the model was built for ${this.size}px`);
    this.size = size;
    const o = this.options;
    const base = { ...o.cnn, inputSize: size, seed: o.seed };
    if (o.mode !== 'vehicle' && !this.day) this.day = await Cnn.create({ ...base, channels: 1 }, o.backend);
    if (o.mode !== 'day' && !this.vehicle) this.vehicle = await Cnn.create({ ...base, channels: o.dayChannels, seed: o.seed + 1 }, o.backend);
  }

  /**
   * Trains (or, called again, continues training: warm start) on vehicles with 0/1 labels.
   * Validation is by vehicle, so no vehicle's days sit on both sides.
   */
  async fit(
    vehicles: VehicleImageSet[],
    labels: number[],
    opts: {
      maxEpochs?: number;
      onEpoch?: (which: 'day' | 'vehicle', log: EpochLog) => void;
      /** Unlabelled vehicles of another domain (the target) and the deep transfer term that aligns the two (domain.ts). */
      domain?: { vehicles: VehicleImageSet[]; method: DomainMethod; weight?: number };
    } = {},
  ): Promise<ImageFitReport> {
    if (!vehicles.length) throw new RangeError('no vehicles to train the image model on');
    await this.ensureNets(vehicles[0].size);
    const rand = mulberry32(this.options.seed ^ 0x2545f491);
    const order = vehicles.map((_, i) => i);
    shuffle(order, rand);
    const nVal = vehicles.length >= 10 ? Math.max(2, Math.round(vehicles.length * this.options.valFraction)) : 0;
    const valIdx = order.slice(0, nVal);
    const trIdx = nVal ? order.slice(nVal) : order;
    const report: ImageFitReport = { heldOut: { n: 0, brier: NaN, accuracy: NaN } };
    const dayData = (idx: number[]) => {
      const imgs: Float32Array[] = [];
      const ys: number[] = [];
      for (const i of idx) for (const d of dayImages(vehicles[i])) {
        imgs.push(d);
        ys.push(labels[i]);
      }
      return { images: concat(imgs), labels: ys };
    };
    const vehData = (idx: number[]) => ({ images: concat(idx.map((i) => stackDays(vehicles[i], this.options.dayChannels))), labels: idx.map((i) => labels[i]) });
    if (this.day) {
      const tr = dayData(trIdx);
      const domain = opts.domain && { method: opts.domain.method, weight: opts.domain.weight ?? 1, target: concat(opts.domain.vehicles.flatMap(dayImages)) };
      const r = await this.day.fit(tr.images, tr.labels, { maxEpochs: opts.maxEpochs, validation: nVal ? dayData(valIdx) : undefined, onEpoch: (l) => opts.onEpoch?.('day', l), domain });
      report.day = { epochs: r.epochs, bestEpoch: r.bestEpoch };
    }
    if (this.vehicle) {
      const tr = vehData(trIdx);
      const domain = opts.domain && { method: opts.domain.method, weight: opts.domain.weight ?? 1, target: concat(opts.domain.vehicles.map((v) => stackDays(v, this.options.dayChannels))) };
      const r = await this.vehicle.fit(tr.images, tr.labels, { maxEpochs: opts.maxEpochs, validation: nVal ? vehData(valIdx) : undefined, onEpoch: (l) => opts.onEpoch?.('vehicle', l), domain });
      report.vehicle = { epochs: r.epochs, bestEpoch: r.bestEpoch };
    }
    if (nVal) {
      const p = await this.predictProba(valIdx.map((i) => vehicles[i]));
      let brier = 0;
      let hit = 0;
      valIdx.forEach((i, k) => {
        brier += (p[k] - labels[i]) ** 2;
        if ((p[k] >= 0.5 ? 1 : 0) === labels[i]) hit++;
      });
      report.heldOut = { n: nVal, brier: brier / nVal, accuracy: hit / nVal };
    }
    return report;
  }

  /** The day CNN's P(shared) for each of a vehicle's day images (empty without a day CNN). */
  async dayScores(v: VehicleImageSet): Promise<number[]> {
    if (!this.day || !v.days.length) return [];
    return Array.from(await this.day.predictProba(concat(v.days)));
  }

  /** P(shared) per vehicle. */
  async predictProba(vehicles: VehicleImageSet[]): Promise<Float64Array> {
    const out = new Float64Array(vehicles.length);
    if (!vehicles.length) return out;
    if (!this.day && !this.vehicle) throw new Error('image model is not trained');
    let parts = 0;
    if (this.day) {
      const counts = vehicles.map((v) => dayImages(v).length);
      const p = await this.day.predictProba(concat(vehicles.flatMap(dayImages)));
      let o = 0;
      const top = this.options.dayScore === 'top';
      counts.forEach((c, i) => {
        out[i] += top ? topDaysScore(p.subarray(o, o + c), this.options.topDays) : mean(p.subarray(o, o + c));
        o += c;
      });
      parts++;
    }
    if (this.vehicle) {
      const p = await this.vehicle.predictProba(concat(vehicles.map((v) => stackDays(v, this.options.dayChannels))));
      p.forEach((v, i) => (out[i] += v));
      parts++;
    }
    for (let i = 0; i < out.length; i++) out[i] /= parts;
    return out;
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'image-model.json'), JSON.stringify({ format: 'cotrans-image-model', version: 1, options: this.options, size: this.size }, null, 1));
    if (this.day) await this.day.save(dir, 'cnn-day');
    if (this.vehicle) await this.vehicle.save(dir, 'cnn-vehicle');
  }

  static async load(dir: string, backend?: BackendPreference): Promise<ImageModel> {
    const file = path.join(dir, 'image-model.json');
    const meta = await readJsonObject(file, 'image model description');
    if (meta.format !== 'cotrans-image-model' || meta.version !== 1) throw new UserError(`${file}: not a version-1 cotrans image model`);
    if (!meta.options || typeof meta.options !== 'object' || !Number.isInteger(meta.size)) throw new UserError(`${file}: options (an object) and size (an integer) are required`);
    // written before `dayScore` existed: those models scored vehicles by the mean over their days
    const m = new ImageModel({ dayScore: 'mean', ...(meta.options as Partial<ImageModelOptions>), backend });
    m.size = meta.size as number;
    if (m.options.mode !== 'vehicle') m.day = await Cnn.load(dir, 'cnn-day', backend);
    if (m.options.mode !== 'day') m.vehicle = await Cnn.load(dir, 'cnn-vehicle', backend);
    return m;
  }

  dispose(): void {
    this.day?.dispose();
    this.vehicle?.dispose();
  }
}
