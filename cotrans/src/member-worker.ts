// Worker thread: trains one member of a bag (member-pool.ts), writes its model into the directory it
// was given, and posts its progress and its run back.
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '@cotrans/core';
import { trainOne } from './pipeline.js';
import type { MemberData, MemberMessage, SentRun } from './member-pool.js';

const post = (m: MemberMessage) => parentPort!.postMessage(m);
const { input, opts, seed, dir } = workerData as MemberData;
try {
  const run = await trainOne(input, { ...opts, onStage: (stage, detail) => post({ kind: 'stage', stage, detail }), onRound: (log) => post({ kind: 'round', log }) }, seed);
  await run.model.writeInto(dir);
  const { model, stage1, cotrain, ...rest } = run;
  const ct: Partial<typeof cotrain> = { ...cotrain };
  delete ct.m1;
  delete ct.m2;
  const sent: SentRun = { ...rest, stage1: { ...stage1, rf: stage1.rf.toJSON() }, cotrain: ct as SentRun['cotrain'] };
  model.dispose();
  post({ kind: 'done', run: sent });
} catch (e) {
  post({ kind: 'error', message: e instanceof Error ? e.message : String(e), user: e instanceof UserError });
}
