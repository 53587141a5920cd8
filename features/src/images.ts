// Trajectory images: per local day, a size x size raster where a pixel is the time spent in its
// cell, log-scaled against a fixed ceiling so days stay comparable (value = ln(1+s)/ln(1+86400),
// a whole day in one cell = 1); the window aggregate uses the window's length as the ceiling.
import { dayKey } from './clock.js';
import type { DayAgg } from './day.js';
import { cellX, cellY } from './grid.js';
import type { ResolvedOptions } from './options.js';

export interface VehicleImages {
  vehicleId: string;
  size: number;
  frame: 'vehicle' | 'city';
  /** Local days (YYYY-MM-DD), aligned with days. */
  dayKeys: string[];
  /** One size*size raster per active day, row-major, north up, values in [0, 1]. */
  days: Float32Array[];
  /** The window's total stay time per pixel, same scaling with a windowDays-long ceiling. */
  aggregate: Float32Array;
  /** Vehicle frame: the centre cell (most stay time) as planar cell indices relative to the vehicle's first fix; null in the city frame. */
  centre: { cx: number; cy: number } | null;
}

export const DAY_S = 86_400;

export function rasterise(vehicleId: string, days: DayAgg[], opts: ResolvedOptions): VehicleImages {
  const size = opts.imageSize;
  const n = size * size;
  let toPixel: (key: number) => number;
  let centre: VehicleImages['centre'] = null;
  if (opts.frame === 'vehicle') {
    // the most visited cell over the window, first in time order on ties
    const total = new Map<number, number>();
    for (const d of days) for (const [k, s] of d.time) total.set(k, (total.get(k) ?? 0) + s);
    let best = -1;
    let bestS = -1;
    for (const [k, s] of total) {
      if (s > bestS) {
        bestS = s;
        best = k;
      }
    }
    const half = size >> 1;
    const ccx = best >= 0 ? cellX(best) : 0;
    const ccy = best >= 0 ? cellY(best) : 0;
    centre = { cx: ccx, cy: ccy };
    toPixel = (key) => {
      const col = cellX(key) - ccx + half;
      const row = ccy - cellY(key) + half;
      return col >= 0 && col < size && row >= 0 && row < size ? row * size + col : -1;
    };
  } else {
    toPixel = (key) => key;
  }
  const dayNorm = 1 / Math.log1p(DAY_S);
  const aggNorm = 1 / Math.log1p(DAY_S * opts.windowDays);
  const sum = new Float64Array(n);
  const out: Float32Array[] = [];
  for (const d of days) {
    const secs = new Float64Array(n);
    for (const [k, s] of d.time) {
      const p = toPixel(k);
      if (p >= 0) secs[p] += s;
    }
    const img = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (secs[i] > 0) {
        img[i] = Math.min(1, Math.log1p(secs[i]) * dayNorm);
        sum[i] += secs[i];
      }
    }
    out.push(img);
  }
  const aggregate = new Float32Array(n);
  for (let i = 0; i < n; i++) if (sum[i] > 0) aggregate[i] = Math.min(1, Math.log1p(sum[i]) * aggNorm);
  return { vehicleId, size, frame: opts.frame, dayKeys: days.map((d) => dayKey(d.day)), days: out, aggregate, centre };
}

/**
 * Days as channels: a size*size*channels tensor (HWC, row-major) for the car-level CNN. Channel c
 * holds the c-th active day; missing days are zeros, extra days beyond `channels` are dropped
 * (the latest are kept).
 */
export function dayStack(img: VehicleImages, channels = 7): Float32Array {
  const n = img.size * img.size;
  const out = new Float32Array(n * channels);
  const first = Math.max(0, img.days.length - channels);
  for (let c = 0; c + first < img.days.length; c++) {
    const day = img.days[c + first];
    for (let i = 0; i < n; i++) out[i * channels + c] = day[i];
  }
  return out;
}

/** [0,1] floats to 8-bit grey levels (round half up). */
export function toGrey8(pixels: Float32Array): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  return out;
}
