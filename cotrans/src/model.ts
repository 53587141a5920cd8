// The trained CoTrans model and its versioned directory:
//   manifest.json      format, version, columns, feature options, stage-1 alignment and MMD, seeds,
//                      ensemble weight, config, data hashes, metrics, round log
//   stage1-rf.json     the source-trained RF (transferable features)
//   m1-rf.json         M1, the RF on the full target feature view
//   image/             M2 (image-model.json, cnn-day.*, cnn-vehicle.*)
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FEATURE_COLUMNS, TRANSFERABLE_COLUMNS, type VehicleFeatures, type VehicleImages } from '@cotrans/features';
import { RandomForestClassifier, type RandomForestJSON } from './rf/forest.js';
import { ImageModel, type VehicleImageSet } from './cnn/images.js';
import type { BackendPreference } from './cnn/backend.js';
import { userError, type PredictionRow } from './io.js';
import type { Stage1Result } from './stage1.js';
import { standardise, type Standardisation } from './align.js';
import type { RoundLog } from './cotrain.js';
import { combine, type Decision } from './decision.js';

export const MODEL_FORMAT = 'cotrans-models';
/** 2: the final decision (`decision`: log-odds combination and its cut) is stored and repeated by classify. */
export const MODEL_VERSION = 2;

export interface Manifest {
  format: typeof MODEL_FORMAT;
  version: number;
  createdAt: string;
  columns: { transferable: string[]; full: string[] };
  features: { tz: string; imageSize: number };
  stage1: { alignment: Stage1Result['alignment']; source: Stage1Result['source']; target: Stage1Result['target']; coral: number[][] | null; prior: number; mmd: Stage1Result['mmd'] };
  seeds: { vehicleId: string; label: 'shared' | 'private'; confidence: number }[];
  /**
   * The scale M1 reads the full feature view on (the training target's robust statistics; M1 also
   * trained on source vehicles on their own scale). Null or absent: raw features (M1 trained on the
   * target alone, and every directory written before this field).
   */
  m1Scale?: Standardisation | null;
  weightRf: number;
  /** Target prior the co-training rounds used (stage 1's estimate). */
  prior: number;
  /** How classify turns M1's and M2's balanced posteriors into P(shared) (decision.ts). */
  decision: Decision;
  stopReason: string;
  rounds: RoundLog[];
  config: unknown;
  data: { source: string; sourceLabels: string; target: string };
  metrics: Record<string, unknown>;
  timings: Record<string, number>;
}

export function featureRows(features: VehicleFeatures[], columns: readonly string[]): number[][] {
  const idx = columns.map((c) => {
    const i = FEATURE_COLUMNS.indexOf(c);
    if (i < 0) throw userError(`feature column '${c}' is not produced by this build's features stage`);
    return i;
  });
  return features.map((f) => idx.map((i) => f.values[i]));
}

/** A vehicle without images (e.g. no kept fixes) gets an empty set: its CNN score is of a blank day. */
export function imageSets(features: VehicleFeatures[], images: Map<string, VehicleImages>, size: number): VehicleImageSet[] {
  return features.map((f) => images.get(f.vehicleId) ?? { vehicleId: f.vehicleId, size, dayKeys: [], days: [], aggregate: new Float32Array(size * size) });
}

export class CoTransModel {
  constructor(
    readonly manifest: Manifest,
    readonly stage1Rf: RandomForestClassifier,
    readonly m1: RandomForestClassifier,
    readonly m2: ImageModel,
  ) {}

  /** Labels every vehicle (flagged ones too; their flags travel with the row). */
  async classify(features: VehicleFeatures[], images: Map<string, VehicleImages>): Promise<PredictionRow[]> {
    if (!features.length) return [];
    const raw = featureRows(features, this.manifest.columns.full);
    // the training target's scale, fixed: a vehicle's label does not depend on the batch it comes in
    const X = this.manifest.m1Scale ? standardise(raw, this.manifest.m1Scale) : raw;
    const rawRf = this.m1.probaOf(X, 'shared');
    const rawCnn = Array.from(await this.m2.predict(imageSets(features, images, this.manifest.features.imageSize)));
    const { pRf, pCnn, pShared } = combine(rawRf, rawCnn, this.manifest.weightRf, this.manifest.decision);
    return features.map((f, i) => ({ vehicleId: f.vehicleId, shared: pShared[i] >= 0.5, pShared: pShared[i], pRf: pRf[i], pCnn: pCnn[i], flags: f.flags }));
  }

  async save(dir: string): Promise<void> {
    // write next to the target, then swap, so a crash never leaves a half-written model directory
    const tmp = `${dir.replace(/[\\/]+$/, '')}.partial`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeFile(path.join(tmp, 'stage1-rf.json'), JSON.stringify(this.stage1Rf));
    await writeFile(path.join(tmp, 'm1-rf.json'), JSON.stringify(this.m1));
    await this.m2.save(path.join(tmp, 'image'));
    await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(this.manifest, null, 1));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }

  static async load(dir: string, backend?: BackendPreference): Promise<CoTransModel> {
    const mf = path.join(dir, 'manifest.json');
    if (!existsSync(mf)) throw userError(`${dir}: not a model directory (no manifest.json); create one with cotrans train`);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(mf, 'utf8'));
    } catch (e) {
      throw userError(`${mf}: unreadable manifest (${(e as Error).message})`);
    }
    if (manifest.format !== MODEL_FORMAT) throw userError(`${mf}: format '${manifest.format}' is not a cotrans model directory`);
    if (manifest.version !== MODEL_VERSION) throw userError(`${mf}: model directory version ${manifest.version} is incompatible with this build (reads version ${MODEL_VERSION}); retrain with cotrans train`);
    for (const c of manifest.columns.full) if (!FEATURE_COLUMNS.includes(c)) throw userError(`${mf}: feature column '${c}' is unknown to this build; retrain with cotrans train`);
    const readRf = async (name: string) => {
      const f = path.join(dir, name);
      try {
        return RandomForestClassifier.fromJSON(JSON.parse(await readFile(f, 'utf8')) as RandomForestJSON);
      } catch (e) {
        throw userError(`${f}: ${(e as Error).message}`);
      }
    };
    return new CoTransModel(manifest, await readRf('stage1-rf.json'), await readRf('m1-rf.json'), await ImageModel.load(path.join(dir, 'image'), backend));
  }

  dispose(): void {
    this.m2.dispose();
  }
}

export { TRANSFERABLE_COLUMNS, FEATURE_COLUMNS };
