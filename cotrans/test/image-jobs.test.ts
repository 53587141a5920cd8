// The experiment's independent CNN fits on worker threads (image-jobs.ts) against the same jobs
// in-thread: the built worker must give the same scores, byte for byte, in the jobs' order, and bring
// a job's error back naming the job.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@cotrans/core';
import type { VehicleImageSet } from '../src/cnn/images.js';
import { runImageJobs, type ImageJob } from '../src/image-jobs.js';
import { workerScriptNextTo } from '../src/worker-script.js';

const builtJobs = new URL('../dist/image-jobs.js', import.meta.url);
const script = workerScriptNextTo(builtJobs.href, 'image-worker');
const onWorkers = Boolean(script && existsSync(fileURLToPath(builtJobs)));

/** Vehicles of 12x12 day images: the shared ones bright in one corner, the private ones elsewhere. */
function pool(n: number, seed: number): { sets: VehicleImageSet[]; shared: number[] } {
  const rand = mulberry32(seed);
  const sets: VehicleImageSet[] = [];
  const shared: number[] = [];
  for (let v = 0; v < n; v++) {
    const s = v % 3 === 0 ? 1 : 0;
    const days = Array.from({ length: 2 + (v % 3) }, () => {
      const img = new Float32Array(144);
      for (let k = 0; k < 144; k++) img[k] = rand() * (s && k < 36 ? 1 : 0.3);
      return img;
    });
    sets.push({ vehicleId: `v${v}`, size: 12, dayKeys: days.map((_, d) => `2026-01-0${d + 1}`), days, aggregate: days[0] });
    shared.push(s);
  }
  return { sets, shared };
}

const options = { seed: 5, cnn: { maxEpochs: 2 } };

describe('image jobs', () => {
  const { sets, shared } = pool(60, 7);
  const idx = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const jobs: ImageJob[] = [
    { name: 'first half', options, train: idx(0, 30), labels: shared.slice(0, 30), predict: idx(30, 60) },
    { name: 'second half, seed 6', options: { ...options, seed: 6 }, train: idx(30, 60), labels: shared.slice(30, 60), predict: idx(0, 30) },
    { name: 'with MMD', options, train: idx(0, 30), labels: shared.slice(0, 30), domain: { vehicles: idx(30, 60), method: 'mmd' }, predict: idx(0, 60) },
  ];

  it('run in-thread in order, each scoring the vehicles it names', async () => {
    const started: string[] = [];
    const r = await runImageJobs(sets, jobs, { jobs: 1, onStart: (j) => started.push(j.name) });
    expect(started).toEqual(jobs.map((j) => j.name));
    expect(r.map((x) => x.p.length)).toEqual([30, 30, 60]);
    for (const x of r) for (const p of x.p) expect(p).toBeGreaterThanOrEqual(0);
    // seeded: the same job again gives the same scores; another seed does not
    const again = await runImageJobs(sets, [jobs[0], { ...jobs[0], options: { ...options, seed: 9 } }], { jobs: 1 });
    expect(Array.from(again[0].p)).toEqual(Array.from(r[0].p));
    expect(Array.from(again[1].p)).not.toEqual(Array.from(r[0].p));
  }, 120_000);

  it.skipIf(!onWorkers)('give the in-thread scores on worker threads, whichever slot ran which job', async () => {
    const inThread = await runImageJobs(sets, jobs, { jobs: 1 });
    for (const slots of [2, 3]) {
      const r = await runImageJobs(sets, jobs, { jobs: slots, script });
      expect(r.map((x) => Array.from(x.p))).toEqual(inThread.map((x) => Array.from(x.p)));
      expect(r.map((x) => x.report.heldOut)).toEqual(inThread.map((x) => x.report.heldOut));
    }
  }, 180_000);

  it.skipIf(!onWorkers)("bring a job's error back naming the job", async () => {
    const bad: ImageJob = { name: 'no training vehicles', options, train: [], labels: [], predict: idx(0, 5) };
    const err = await runImageJobs(sets, [jobs[0], bad], { jobs: 2, script }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("image job 'no training vehicles': no vehicles to train the image model on");
  }, 120_000);
});
