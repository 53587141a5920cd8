// Map similarity between two binary occupancy maps (sets of packed cells). Jaccard overlap with
// +0.1 smoothing, averaged over the map as is and shifted by one cell each way (so a route one
// cell off still matches), on three views of the map: raw (0.4), Laplacian edges (0.3) and 2x2
// max-pooled (0.3). Unlike the reference code, every cell counts (no row/column 0 dropped) and
// cells are built from every fix, not only when row AND column change.
import { SHIFTS, cellX, cellY, packCell } from './grid.js';

export const SMOOTHING = 0.1;

export function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>, shift = 0): number {
  let inter = 0;
  // iterate the smaller set
  // b shifted by `shift`: a cell k of a matches when b holds k - shift
  if (a.size <= b.size) {
    for (const k of a) if (b.has(k - shift)) inter++;
  } else {
    for (const k of b) if (a.has(k + shift)) inter++;
  }
  return (inter + SMOOTHING) / (a.size + b.size - inter + SMOOTHING);
}

/** Mean of the smoothed Jaccard over no shift and the four one-cell shifts of b. */
export function shiftJaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  let s = jaccard(a, b, 0);
  for (const d of SHIFTS) s += jaccard(a, b, d);
  return s / (SHIFTS.length + 1);
}

/** Non-zero cells of the 4-neighbour Laplacian of the binary map: occupied cells on the map's edge and empty cells touching it. */
export function laplacianCells(a: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const k of a) {
    let n = 0;
    for (const d of SHIFTS) {
      if (a.has(k + d)) n++;
      else out.add(k + d);
    }
    if (n < 4) out.add(k);
  }
  return out;
}

/** 2x2 max pooling of a binary map: the occupied cells of the grid with twice the cell size. */
export function pooledCells(a: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const k of a) out.add(packCell(Math.floor(cellX(k) / 2), Math.floor(cellY(k) / 2)));
  return out;
}

/** A map as sorted packed cells. A one-cell shift adds a constant to every key, so it keeps the order. */
export type SortedCells = Int32Array;

export function sortedCells(a: ReadonlySet<number>): SortedCells {
  const out = new Int32Array(a.size);
  let i = 0;
  for (const k of a) out[i++] = k;
  return out.sort();
}

/** Smoothed Jaccard of sorted maps, b shifted by `shift`: one linear merge, no hashing. */
export function jaccardSorted(a: SortedCells, b: SortedCells, shift = 0): number {
  let i = 0;
  let j = 0;
  let inter = 0;
  const na = a.length;
  const nb = b.length;
  while (i < na && j < nb) {
    const x = a[i];
    const y = b[j] + shift;
    if (x === y) {
      inter++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return (inter + SMOOTHING) / (na + nb - inter + SMOOTHING);
}

function shiftJaccardSorted(a: SortedCells, b: SortedCells): number {
  let s = jaccardSorted(a, b, 0);
  for (const d of SHIFTS) s += jaccardSorted(a, b, d);
  return s / (SHIFTS.length + 1);
}

export interface MapViews {
  raw: SortedCells;
  lap: SortedCells;
  pool: SortedCells;
}

/** Sorts the first n entries in place and drops repeats. */
function uniqueSorted(a: Int32Array, n: number): SortedCells {
  const s = a.subarray(0, n).sort();
  let m = 0;
  for (let i = 0; i < n; i++) if (m === 0 || s[i] !== s[m - 1]) s[m++] = s[i];
  return s.slice(0, m);
}

/** The three views of a map; the same cells as laplacianCells / pooledCells, built in typed arrays. */
export function mapViews(a: ReadonlySet<number>): MapViews {
  const n = a.size;
  const raw = new Int32Array(n);
  const lap = new Int32Array(n * 5);
  const pool = new Int32Array(n);
  let i = 0;
  let m = 0;
  for (const k of a) {
    raw[i] = k;
    pool[i] = packCell(Math.floor(cellX(k) / 2), Math.floor(cellY(k) / 2));
    i++;
    let c = 0;
    for (let j = 0; j < 4; j++) {
      const q = k + SHIFTS[j];
      if (a.has(q)) c++;
      else lap[m++] = q;
    }
    if (c < 4) lap[m++] = k;
  }
  return { raw: raw.sort(), lap: uniqueSorted(lap, m), pool: uniqueSorted(pool, n) };
}

/** 0.4 x raw + 0.3 x Laplacian + 0.3 x pooled, each the shift-averaged smoothed Jaccard. */
export function mapSimilarity(a: MapViews, b: MapViews): number {
  return 0.4 * shiftJaccardSorted(a.raw, b.raw) + 0.3 * shiftJaccardSorted(a.lap, b.lap) + 0.3 * shiftJaccardSorted(a.pool, b.pool);
}
