// The trained CoTrans model and its directory (one version of a model directory, versions.ts):
//   manifest.json      format, version, columns, feature options, stage-1 alignment and MMD, seeds,
//                      ensemble weight, config, data hashes, metrics, round log
//   m1-rf.json         M1, the RF on the full target feature view
//   image/             M2 (image-model.json, cnn-day.*, cnn-vehicle.*)
// Classify reads neither stage 1's forest nor its file: it is not written, and the stage1-rf.json
// of directories written before is left unread.
// A bag (version 3) holds one such directory per member under members/<i>, and a manifest.json of
// its own (member 0's, with the members' train seeds and the bag's metrics).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FEATURE_COLUMNS, TRANSFERABLE_COLUMNS, type VehicleFeatures, type VehicleImages } from '@cotrans/features';
import { RandomForestClassifier, type RandomForestJSON } from './rf/forest.js';
import { ImageModel, type VehicleImageSet } from './cnn/images.js';
import type { BackendPreference } from './cnn/backend.js';
import { UserError, excerpt, readJsonObject } from '@cotrans/core';
import type { PredictionRow } from './io.js';
import type { Stage1Result } from './stage1.js';
import { standardise, type Standardisation } from './align.js';
import type { RoundLog } from './cotrain.js';
import { combine, type Decision } from './decision.js';
import { assertInside, modelVersionId, resolveModelDir, writeVersion } from './versions.js';
import { logit, sigmoid } from './maths.js';

export const MODEL_FORMAT = 'cotrans-models';
/** 2: the final decision (`decision`: log-odds combination and its cut) is stored and repeated by classify. */
export const MODEL_VERSION = 2;
/** 3: a bag of version-2 members (`members/0`, `members/1`, ...) whose margins classify averages. */
export const BAG_VERSION = 3;

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
  /** A bag (version 3) only: the train seed of each member, `members/<i>` in the directory. */
  members?: number[];
}

export function featureRows(features: VehicleFeatures[], columns: readonly string[]): number[][] {
  const idx = columns.map((c) => {
    const i = FEATURE_COLUMNS.indexOf(c);
    if (i < 0) throw new UserError(`feature column '${c}' is not produced by this build's features stage`);
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
    /** Stage 1's source forest, in memory after training only (classify never reads it). */
    readonly stage1Rf: RandomForestClassifier | null,
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
    const rawCnn = Array.from(await this.m2.predictProba(imageSets(features, images, this.manifest.features.imageSize)));
    const { pRf, pCnn, pShared } = combine(rawRf, rawCnn, this.manifest.weightRf, this.manifest.decision);
    return features.map((f, i) => ({ vehicleId: f.vehicleId, shared: pShared[i] >= 0.5, pShared: pShared[i], pRf: pRf[i], pCnn: pCnn[i], flags: f.flags }));
  }

  /** Writes a new version into the model directory `dir` and makes it current; returns its id. */
  async save(dir: string): Promise<string> {
    return writeVersion(dir, (tmp) => this.writeInto(tmp));
  }

  /** Writes the model's files into `dir` (created). */
  async writeInto(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'm1-rf.json'), JSON.stringify(this.m1));
    await this.m2.save(path.join(dir, 'image'));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(this.manifest, null, 1));
  }

  static async load(modelDir: string, backend?: BackendPreference): Promise<CoTransModel> {
    const dir = resolveModelDir(modelDir).path;
    const { mf, manifest } = await readManifest(dir);
    if (manifest.version !== MODEL_VERSION) throw new UserError(`${mf}: model directory version ${manifest.version} is incompatible with this build (reads version ${MODEL_VERSION}${manifest.version === BAG_VERSION ? ' here: a bag of members, read it with loadModel' : ` and ${BAG_VERSION}`}); retrain with cotrans train`);
    for (const c of manifest.columns.full) if (!FEATURE_COLUMNS.includes(c)) throw new UserError(`${mf}: feature column '${c}' is unknown to this build; retrain with cotrans train`);
    const readRf = async (name: string) => {
      const f = path.join(dir, name);
      try {
        return RandomForestClassifier.fromJSON(JSON.parse(await readFile(f, 'utf8')) as RandomForestJSON);
      } catch (e) {
        throw new UserError(`${f}: ${(e as Error).message}`);
      }
    };
    return new CoTransModel(manifest, null, await readRf('m1-rf.json'), await ImageModel.load(path.join(dir, 'image'), backend));
  }

  dispose(): void {
    this.m2.dispose();
  }
}

export async function readManifest(dir: string): Promise<{ mf: string; manifest: Manifest }> {
  const mf = path.join(dir, 'manifest.json');
  if (!existsSync(mf)) throw new UserError(`${dir}: not a model directory (no manifest.json); create one with cotrans train`);
  const raw = await readJsonObject(mf, 'model manifest');
  if (raw.format !== MODEL_FORMAT) throw new UserError(`${mf}: format '${excerpt(String(raw.format))}' is not a cotrans model directory`);
  const problem = manifestProblem(raw);
  if (problem) throw UserError.at({ file: mf, field: problem.field }, `${problem.why}; retrain with cotrans train`);
  return { mf, manifest: raw as unknown as Manifest };
}

const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The first field of a manifest that classify cannot use as it is, or undefined. */
function manifestProblem(m: Record<string, unknown>): { field: string; why: string } | undefined {
  if (typeof m.version !== 'number') return { field: 'version', why: `must be a number, got ${typeof m.version === 'string' ? `the string '${excerpt(m.version)}'` : m.version === null ? 'null' : typeof m.version}` };
  // a bag's manifest is its member 0's plus the list of members; each member is checked on its own load
  if (m.version === BAG_VERSION) {
    if (m.members !== undefined && !(Array.isArray(m.members) && m.members.every((s) => Number.isInteger(s)))) return { field: 'members', why: 'must list the train seed (an integer) of each member' };
    return undefined;
  }
  const c = m.columns as { transferable?: unknown; full?: unknown } | null | undefined;
  if (!c || typeof c !== 'object' || !isStrings(c.full) || !isStrings(c.transferable)) return { field: 'columns', why: 'must hold the lists full and transferable of feature column names' };
  const f = m.features as { tz?: unknown; imageSize?: unknown } | null | undefined;
  if (!f || typeof f !== 'object' || typeof f.tz !== 'string' || !Number.isInteger(f.imageSize)) return { field: 'features', why: 'must hold tz (a time zone) and imageSize (an integer)' };
  return undefined;
}

/** A member's margin (its combined log-odds minus its cut) from its P(shared) = sigmoid(margin). */
export function marginOf(p: number): number {
  return logit(p, 1e-12);
}

/** The bag's P(shared) per row: sigmoid of the mean of the members' margins. */
export function bagProbabilities(members: readonly (readonly number[])[]): number[] {
  const n = members[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) => sigmoid(members.reduce((a, p) => a + marginOf(p[i]), 0) / members.length));
}

/**
 * Several CoTrans runs on the same data with train seeds seed, seed + 1, ...: a vehicle's label is
 * the sign of the mean of the members' margins. Co-training's outcome swings with the seed on
 * targets with few shared vehicles (one run in three can double the false alarms); the mean of
 * three runs' margins was measured above the runs' average on 10 of 11 development pairs (docs/experiments/2026-12-02-learning-stage-history.md).
 */
export class CoTransBag {
  constructor(
    /** Member 0's manifest with version 3, `members` (their train seeds) and the bag's metrics and timings. */
    readonly manifest: Manifest,
    readonly members: CoTransModel[],
  ) {}

  async classify(features: VehicleFeatures[], images: Map<string, VehicleImages>): Promise<PredictionRow[]> {
    const runs: PredictionRow[][] = [];
    for (const m of this.members) runs.push(await m.classify(features, images));
    const pShared = bagProbabilities(runs.map((r) => r.map((x) => x.pShared)));
    const mean = (i: number, get: (r: PredictionRow) => number) => runs.reduce((a, r) => a + get(r[i]), 0) / runs.length;
    return features.map((f, i) => ({ vehicleId: f.vehicleId, shared: pShared[i] >= 0.5, pShared: pShared[i], pRf: mean(i, (r) => r.pRf), pCnn: mean(i, (r) => r.pCnn), flags: f.flags }));
  }

  /** Writes a new version into the model directory `dir` and makes it current; returns its id. */
  async save(dir: string): Promise<string> {
    return writeVersion(dir, async (tmp) => {
      await mkdir(tmp, { recursive: true });
      for (const [i, m] of this.members.entries()) await m.writeInto(path.join(tmp, 'members', String(i)));
      await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(this.manifest, null, 1));
    });
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/**
 * Loads a model directory's current version (or a directory written before versions, or one
 * version's own directory): one CoTrans model (version 2) or a bag of them (version 3).
 */
export async function loadModel(modelDir: string, backend?: BackendPreference): Promise<CoTransModel | CoTransBag> {
  const dir = resolveModelDir(modelDir).path;
  const { mf, manifest } = await readManifest(dir);
  if (manifest.version === MODEL_VERSION) return CoTransModel.load(dir, backend);
  if (manifest.version !== BAG_VERSION) throw new UserError(`${mf}: model directory version ${manifest.version} is incompatible with this build (reads versions ${MODEL_VERSION} and ${BAG_VERSION}); retrain with cotrans train`);
  if (!Array.isArray(manifest.members) || !manifest.members.length) throw new UserError(`${mf}: a version-${BAG_VERSION} directory lists no members`);
  const members: CoTransModel[] = [];
  try {
    for (let i = 0; i < manifest.members.length; i++) {
      const m = path.join(dir, 'members', String(i));
      if (existsSync(m)) assertInside(dir, m);
      members.push(await CoTransModel.load(m, backend));
    }
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  return new CoTransBag(manifest, members);
}

export { TRANSFERABLE_COLUMNS, FEATURE_COLUMNS };

/**
 * Loads the current version of a model directory and says which it is, resolved once (a version
 * made current meanwhile is not mixed in). A directory written before versions gets the id it
 * will have in versions/ (modelVersionId).
 */
export async function loadCurrentModel(modelDir: string, backend?: BackendPreference): Promise<{ model: CoTransModel | CoTransBag; version: string }> {
  const r = resolveModelDir(modelDir);
  const version = r.version ?? (await modelVersionId(modelDir));
  return { model: await loadModel(r.path, backend), version };
}
