// Independent CNN fits (the experiment's rows beside CoTrans: the CNN on stage-1 seeds, the deep
// transfer rows, the supervised folds) run at once, one worker thread per job slot. A job is seeded
// and depends on its own inputs only, so its scores are the same bytes on a worker as in-thread, in any
// order and on any slot. The images travel once, as shared memory; a job names them by index.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { UserError } from '@cotrans/core';
import { ImageModel, type ImageFitReport, type ImageModelOptions, type VehicleImageSet } from './cnn/images.js';
import type { DomainMethod } from './cnn/domain.js';
import { workerScriptNextTo, type WorkerScript } from './worker-script.js';
import { shareSets, withoutFunctions } from './worker-transfer.js';

export interface ImageJob {
  /** What the job is for, in progress lines. */
  name: string;
  options: Partial<ImageModelOptions>;
  /** Indices into the pool of image sets, with their 0/1 labels. */
  train: number[];
  labels: number[];
  /** Unlabelled vehicles of the other domain and the deep transfer term (ImageModel.fit). */
  domain?: { vehicles: number[]; method: DomainMethod };
  /** The vehicles to score. */
  predict: number[];
}

export interface ImageJobResult {
  p: Float64Array;
  report: ImageFitReport;
  /** Wall time of the fit and the scoring. */
  seconds: number;
}

/** What a worker posts back for the job it was sent. */
export type ImageJobMessage = { id: number; result: ImageJobResult } | { id: number; error: string; user: boolean };

/** The image-job worker next to this module: null under vitest without tsx (jobs run in-thread). */
export function defaultImageJobScript(): WorkerScript | null {
  return workerScriptNextTo(import.meta.url, 'image-worker');
}

/** Fits one image model and scores the job's vehicles with it. */
export async function runImageJob(pool: VehicleImageSet[], job: ImageJob): Promise<ImageJobResult> {
  const t = performance.now();
  const pick = (idx: number[]) => idx.map((i) => pool[i]);
  const m = new ImageModel(job.options);
  try {
    const report = await m.fit(pick(job.train), job.labels, job.domain ? { domain: { vehicles: pick(job.domain.vehicles), method: job.domain.method } } : {});
    const p = await m.predictProba(pick(job.predict));
    return { p, report, seconds: (performance.now() - t) / 1000 };
  } finally {
    m.dispose();
  }
}

/**
 * Runs the jobs, at most `jobs` at a time on worker threads (default: the machine's parallelism);
 * in-thread, one after the other, when jobs is 1, there is one job, or no worker script is present.
 * Results come back in the jobs' order.
 */
export async function runImageJobs(
  pool: VehicleImageSet[],
  jobs: ImageJob[],
  opts: { jobs?: number; script?: WorkerScript | null; onStart?: (job: ImageJob, index: number) => void } = {},
): Promise<ImageJobResult[]> {
  const slots = Math.min(opts.jobs ?? availableParallelism(), jobs.length);
  const script = opts.script === undefined ? defaultImageJobScript() : opts.script;
  const out: ImageJobResult[] = new Array(jobs.length);
  if (slots <= 1 || !script) {
    for (const [i, job] of jobs.entries()) {
      opts.onStart?.(job, i);
      out[i] = await runImageJob(pool, job);
    }
    return out;
  }
  const shared = shareSets(pool);
  const workers: Worker[] = [];
  let next = 0;
  const slot = async (): Promise<void> => {
    const w = new Worker(script.url, { workerData: { pool: shared }, execArgv: script.execArgv });
    workers.push(w);
    let pending: { id: number; resolve: (r: ImageJobResult) => void; reject: (e: Error) => void } | null = null;
    let dead: Error | null = null;
    const fail = (e: Error) => {
      dead ??= e;
      const p = pending;
      pending = null;
      p?.reject(e);
    };
    w.on('message', (m: ImageJobMessage) => {
      const p = pending;
      if (!p || m.id !== p.id) return;
      pending = null;
      if ('result' in m) p.resolve(m.result);
      else p.reject(m.user ? new UserError(m.error) : new Error(`image job '${jobs[m.id].name}': ${m.error}`));
    });
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`an image-job worker exited with code ${code} before its job finished`)));
    while (next < jobs.length) {
      const id = next++;
      opts.onStart?.(jobs[id], id);
      out[id] = await new Promise<ImageJobResult>((resolve, reject) => {
        if (dead) return reject(dead);
        pending = { id, resolve, reject };
        w.postMessage({ id, job: withoutFunctions(jobs[id]) });
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: slots }, slot));
    return out;
  } catch (e) {
    // no slot starts another job once one has failed
    next = jobs.length;
    throw e;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
