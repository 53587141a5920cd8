// Worker thread: grows the trees it is asked for on the shared bins and posts them back.
import { parentPort, workerData } from 'node:worker_threads';
import { growTree, type TreeParams } from './tree.js';

interface Init {
  nSamples: number;
  nFeatures: number;
  bins: Uint8Array;
  nBins: Int32Array;
  edges: Float64Array[];
  y: Uint8Array;
  nClasses: number;
  classWeight: Float64Array;
  params: TreeParams;
}

const init = workerData as Init;
parentPort!.on('message', (msg: { index: number; seed: number } | null) => {
  if (msg === null) {
    parentPort!.close();
    return;
  }
  const t = growTree(init, init.y, init.nClasses, init.classWeight, init.params, msg.seed);
  const transfer = [t.feature.buffer, t.threshold.buffer, t.left.buffer, t.right.buffer, t.value.buffer, t.importance.buffer];
  if (t.inBag) transfer.push(t.inBag.buffer);
  parentPort!.postMessage({ index: msg.index, tree: t }, transfer as ArrayBuffer[]);
});
