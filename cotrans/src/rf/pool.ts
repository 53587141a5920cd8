// Grows trees on worker threads (one per job) fed from a shared copy of the bins. Trees are seeded by
// their index, so the forest is the same whichever thread grew which tree, and the same in-thread.
import { Worker } from 'node:worker_threads';
import { workerScriptNextTo, type WorkerScript } from '../worker-script.js';
import { growTree, type TreeData, type TreeParams, type BinnedView } from './tree.js';

export interface GrowJob {
  data: BinnedView;
  y: Uint8Array;
  nClasses: number;
  classWeight: Float64Array;
  params: TreeParams;
  seeds: number[];
}

/** The worker script next to this module (worker-script.ts): null under vitest without tsx (in-thread). */
export function defaultWorkerScript(): WorkerScript | null {
  return workerScriptNextTo(import.meta.url, 'worker');
}

export async function growForest(
  job: GrowJob,
  nJobs: number,
  script: WorkerScript | null = defaultWorkerScript(),
  onTree?: (done: number, total: number) => void,
): Promise<TreeData[]> {
  const total = job.seeds.length;
  const out: TreeData[] = new Array(total);
  if (nJobs <= 1 || !script || total <= 1) {
    for (let t = 0; t < total; t++) {
      out[t] = growTree(job.data, job.y, job.nClasses, job.classWeight, job.params, job.seeds[t]);
      onTree?.(t + 1, total);
    }
    return out;
  }
  // Bins travel once, as shared memory.
  let bins = job.data.bins;
  if (!(bins.buffer instanceof SharedArrayBuffer)) {
    const sab = new Uint8Array(new SharedArrayBuffer(bins.length));
    sab.set(bins);
    bins = sab;
  }
  const workerData = { ...job.data, bins, y: job.y, nClasses: job.nClasses, classWeight: job.classWeight, params: job.params };
  let next = 0;
  let done = 0;
  const workers = Array.from({ length: Math.min(nJobs, total) }, () => new Worker(script.url, { workerData, execArgv: script.execArgv }));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next < total) {
                const index = next++;
                w.postMessage({ index, seed: job.seeds[index] });
              } else {
                w.postMessage(null);
                resolve();
              }
            };
            w.on('message', (m: { index: number; tree: TreeData }) => {
              out[m.index] = m.tree;
              onTree?.(++done, total);
              feed();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (code !== 0) reject(new Error(`random forest worker exited with code ${code}`));
            });
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
