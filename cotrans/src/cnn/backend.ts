// Picks the fastest TensorFlow.js backend present: tfjs-node-gpu, tfjs-node, then wasm (whose missing
// Conv2D filter gradient our layers supply, see layers.ts), then the pure-JS cpu backend.
import * as tfjs from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type Tf = typeof tfjs;
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

let current: { tf: Tf; backend: string } | null = null;

async function tryNative(): Promise<Tf | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      return (await import(pkg)) as Tf;
    } catch {
      /* not installed */
    }
  }
  return null;
}

async function tryWasm(tf: Tf): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const req = createRequire(import.meta.url);
    // The .wasm binaries ship in the package; load them from disk (no network).
    const dir = path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dir);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/** Initialises (once) and returns the tf namespace on the chosen backend. */
export async function initTf(prefer: BackendPreference = (process.env.COTRANS_TF_BACKEND as BackendPreference) || 'auto'): Promise<{ tf: Tf; backend: string }> {
  if (current && (prefer === 'auto' || current.backend === prefer)) return current;
  if (prefer === 'auto' || prefer === 'tensorflow') {
    const native = await tryNative();
    if (native) {
      await native.ready();
      current = { tf: native, backend: native.getBackend() };
      return current;
    }
    if (prefer === 'tensorflow') throw new Error('backend tensorflow requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed');
  }
  const tf = tfjs;
  if ((prefer === 'auto' || prefer === 'wasm') && (await tryWasm(tf))) {
    current = { tf, backend: 'wasm' };
    return current;
  }
  if (prefer === 'wasm') throw new Error('backend wasm requested but it failed to initialise');
  await tf.setBackend('cpu');
  await tf.ready();
  current = { tf, backend: 'cpu' };
  return current;
}
