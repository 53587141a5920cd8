// What crosses to a worker thread: images as views into one SharedArrayBuffer (so workers share them
// instead of each holding a copy), and options without their callbacks.
import type { FleetResult } from '@cotrans/features';
import type { VehicleImageSet } from './cnn/images.js';

/** Copies every array into one SharedArrayBuffer and returns a function that maps an array to its view there. */
function sharedArena(arrays: Iterable<Float32Array>): (a: Float32Array) => Float32Array {
  let floats = 0;
  for (const a of arrays) floats += a.length;
  const all = new Float32Array(new SharedArrayBuffer(floats * Float32Array.BYTES_PER_ELEMENT));
  let at = 0;
  return (a) => {
    const v = all.subarray(at, at + a.length);
    v.set(a);
    at += a.length;
    return v;
  };
}

function* arraysOf(sets: Iterable<{ days: Float32Array[]; aggregate: Float32Array }>): Iterable<Float32Array> {
  for (const s of sets) {
    yield s.aggregate;
    yield* s.days;
  }
}

/** The fleet with every image a view into one SharedArrayBuffer. */
export function shareImages(fleet: FleetResult): FleetResult {
  const view = sharedArena(arraysOf(fleet.images.values()));
  const images: FleetResult['images'] = new Map();
  for (const [k, v] of fleet.images) images.set(k, { ...v, days: v.days.map(view), aggregate: view(v.aggregate) });
  return { ...fleet, images };
}

/** The image sets, each image a view into one SharedArrayBuffer. */
export function shareSets(sets: VehicleImageSet[]): VehicleImageSet[] {
  const view = sharedArena(arraysOf(sets));
  return sets.map((s) => ({ vehicleId: s.vehicleId, size: s.size, dayKeys: s.dayKeys, days: s.days.map(view), aggregate: view(s.aggregate) }));
}

/** A structured-cloneable copy of plain options: functions (progress callbacks) and URLs dropped. */
export function withoutFunctions(v: unknown): unknown {
  if (typeof v === 'function' || v instanceof URL) return undefined;
  if (v === null || typeof v !== 'object' || v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map(withoutFunctions);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = withoutFunctions(x);
    if (y !== undefined) out[k] = y;
  }
  return out;
}
