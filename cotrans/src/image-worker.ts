// Worker thread: runs the image jobs it is sent (image-jobs.ts), one at a time, on the shared pool of
// image sets it was started with, and posts each one's scores back.
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '@cotrans/core';
import type { VehicleImageSet } from './cnn/images.js';
import { runImageJob, type ImageJob, type ImageJobMessage } from './image-jobs.js';

const { pool } = workerData as { pool: VehicleImageSet[] };
parentPort!.on('message', async ({ id, job }: { id: number; job: ImageJob }) => {
  let m: ImageJobMessage;
  try {
    m = { id, result: await runImageJob(pool, job) };
  } catch (e) {
    m = { id, error: e instanceof Error ? e.message : String(e), user: e instanceof UserError };
  }
  parentPort!.postMessage(m);
});
