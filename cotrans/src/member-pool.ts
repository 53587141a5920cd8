// Trains a bag's members at once, one worker thread each (at most `jobs` at a time). The CNN trains
// on single-threaded wasm, so one member keeps one core busy; members are independent and seeded,
// so each one's model is the same bytes on a worker as in-thread. Images travel once, as shared
// memory; each member's model comes back through a directory, its stage 1 and stage 2 as data.
import { Worker } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '@cotrans/core';
import { CoTransModel } from './model.js';
import { RandomForestClassifier, type RandomForestJSON } from './rf/forest.js';
import type { RoundLog } from './cotrain.js';
import type { MemberRun, TrainInput, TrainOptions } from './pipeline.js';
import { workerScriptNextTo, type WorkerScript } from './worker-script.js';
import { shareImages, withoutFunctions } from './worker-transfer.js';

/** The member worker next to this module: null under vitest without tsx (members train in-thread). */
export function defaultMemberScript(): WorkerScript | null {
  return workerScriptNextTo(import.meta.url, 'member-worker');
}

/** What a worker posts: its progress, its run (the model is in the directory it was given), or why it failed. */
export type MemberMessage =
  | { kind: 'stage'; stage: string; detail?: Record<string, number | string> }
  | { kind: 'round'; log: RoundLog }
  | { kind: 'done'; run: SentRun }
  | { kind: 'error'; message: string; user: boolean };

/** A member's run without its models: stage 1's forest as JSON, stage 2's models in the directory. */
export type SentRun = Omit<MemberRun, 'model' | 'stage1' | 'cotrain'> & {
  stage1: Omit<MemberRun['stage1'], 'rf'> & { rf: RandomForestJSON };
  cotrain: Omit<MemberRun['cotrain'], 'm1' | 'm2'>;
};

export interface MemberData {
  input: TrainInput;
  opts: TrainOptions;
  seed: number;
  dir: string;
}

/**
 * Trains one member per seed, `jobs` at a time on worker threads; in-thread, one after the other, with
 * `local`, when jobs is 1, there is one seed, or no worker script is present.
 */
export async function trainMembers(
  input: TrainInput,
  opts: TrainOptions,
  seeds: number[],
  local: (seed: number) => Promise<MemberRun>,
  jobs = seeds.length,
  script: WorkerScript | null = defaultMemberScript(),
): Promise<MemberRun[]> {
  const runs: MemberRun[] = [];
  if (jobs <= 1 || seeds.length <= 1 || !script) {
    try {
      for (const [i, seed] of seeds.entries()) {
        if (seeds.length > 1) opts.onStage?.('member', { member: i + 1, of: seeds.length, seed });
        runs.push(await local(seed));
      }
      return runs;
    } catch (e) {
      for (const r of runs) r.model.dispose();
      throw e;
    }
  }
  const shared = { ...input, source: shareImages(input.source), target: shareImages(input.target) };
  const sendOpts = withoutFunctions(opts) as TrainOptions;
  const tmp = await mkdtemp(path.join(tmpdir(), 'cotrans-members-'));
  const out: (MemberRun | undefined)[] = new Array(seeds.length);
  const live = new Set<Worker>();
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < seeds.length) {
      const i = next++;
      const seed = seeds[i];
      opts.onStage?.('member', { member: i + 1, of: seeds.length, seed });
      const dir = path.join(tmp, String(i));
      const data: MemberData = { input: shared, opts: sendOpts, seed, dir };
      const sent = await new Promise<SentRun>((resolve, reject) => {
        const w = new Worker(script.url, { workerData: data, execArgv: script.execArgv });
        live.add(w);
        let settled = false;
        const settle = (f: () => void) => {
          if (!settled) {
            settled = true;
            live.delete(w);
            f();
          }
        };
        w.on('message', (m: MemberMessage) => {
          if (m.kind === 'stage') opts.onStage?.(m.stage, { ...m.detail, seed });
          else if (m.kind === 'round') opts.onRound?.(m.log, seed);
          else if (m.kind === 'done') settle(() => resolve(m.run));
          else settle(() => reject(m.user ? new UserError(m.message) : new Error(`member with train seed ${seed}: ${m.message}`)));
        });
        w.on('error', (e) => settle(() => reject(e)));
        w.on('exit', (code) => settle(() => reject(new Error(`member with train seed ${seed}: its worker exited with code ${code} before it finished`))));
      });
      const loaded = await CoTransModel.load(dir, opts.cotrain?.image?.backend);
      const stage1 = { ...sent.stage1, rf: RandomForestClassifier.fromJSON(sent.stage1.rf) };
      out[i] = {
        ...sent,
        stage1,
        cotrain: { ...sent.cotrain, m1: loaded.m1, m2: loaded.m2 },
        model: new CoTransModel(loaded.manifest, stage1.rf, loaded.m1, loaded.m2),
      };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, seeds.length) }, one));
    return out as MemberRun[];
  } catch (e) {
    // no loop starts another member once one has failed; the running ones are stopped
    next = seeds.length;
    for (const w of live) void w.terminate();
    for (const r of out) r?.model.dispose();
    throw e;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
