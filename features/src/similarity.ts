// Map similarity between two binary occupancy maps (sets of packed cells). Jaccard overlap with
// +0.1 smoothing, averaged over the map as is and shifted by one cell each way (so a route one
// cell off still matches), on three views of the map: raw (0.4), Laplacian edges (0.3) and 2x2
// max-pooled (0.3). Unlike the reference code, every cell counts (no row/column 0 dropped) and
// cells are built from every fix, not only when row AND column change.
import { SHIFTS, SPAN, cellX, cellY, packCell } from './grid.js';

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
  return s.subarray(0, m);
}

/** The three views of a map; the same cells as laplacianCells / pooledCells, built in typed arrays. */
export function mapViews(a: ReadonlySet<number>): MapViews {
  return sortedMapViews(sortedCells(a));
}

/**
 * mapViews of a map given as sorted distinct cells. Neighbour lookups need no hashing: the cell
 * north or south (key +-1, never across a column: see inRange) is the next or previous entry, and
 * the cells east and west (key +-SPAN) are found by two pointers that only move forward.
 */
export function sortedMapViews(raw: SortedCells): MapViews {
  const n = raw.length;
  // the Laplacian's cells come out as three sorted streams (west neighbours, east neighbours,
  // and each cell's south neighbour, itself, north neighbour), merged below without a sort
  const buf = new Int32Array(n * 5);
  const W = 0;
  const E = n;
  const M = 2 * n;
  let nw = W;
  let ne = E;
  let nm = M;
  const pool = new Int32Array(n);
  let east = 0;
  let west = 0;
  for (let i = 0; i < n; i++) {
    const k = raw[i];
    pool[i] = packCell(Math.floor(cellX(k) / 2), Math.floor(cellY(k) / 2));
    let c = 0;
    const ke = k + SPAN;
    while (east < n && raw[east] < ke) east++;
    if (east < n && raw[east] === ke) c++;
    else buf[ne++] = ke;
    const kw = k - SPAN;
    while (raw[west] < kw) west++; // stops at k itself at the latest
    if (raw[west] === kw) c++;
    else buf[nw++] = kw;
    const north = i + 1 < n && raw[i + 1] === k + 1;
    const south = i > 0 && raw[i - 1] === k - 1;
    if (south) c++;
    else buf[nm++] = k - 1;
    if (north) c++;
    if (c < 4) buf[nm++] = k;
    if (!north) buf[nm++] = k + 1;
  }
  return { raw, lap: mergeUnique3(buf, W, nw, E, ne, M, nm), pool: uniqueSorted(pool, n) };
}

/** Sorted distinct union of the sorted runs a[i0..i1), a[j0..j1), a[k0..k1). */
function mergeUnique3(a: Int32Array, i0: number, i1: number, j0: number, j1: number, k0: number, k1: number): SortedCells {
  const out = new Int32Array(i1 - i0 + j1 - j0 + k1 - k0);
  let m = 0;
  let i = i0;
  let j = j0;
  let k = k0;
  const BIG = 2147483647; // above every packed cell (< 2^30 + SPAN)
  for (;;) {
    const x = i < i1 ? a[i] : BIG;
    const y = j < j1 ? a[j] : BIG;
    const z = k < k1 ? a[k] : BIG;
    let v = x < y ? x : y;
    if (z < v) v = z;
    if (v === BIG) break;
    if (m === 0 || out[m - 1] !== v) out[m++] = v;
    if (x === v) i++;
    if (y === v) j++;
    if (z === v) k++;
  }
  return out.subarray(0, m);
}

/** The union of maps as sorted distinct cells. */
export function sortedUnion(maps: readonly ReadonlySet<number>[]): SortedCells {
  let n = 0;
  for (const a of maps) n += a.size;
  const all = new Int32Array(n);
  let i = 0;
  for (const a of maps) for (const k of a) all[i++] = k;
  return uniqueSorted(all, n);
}

/** 0.4 x raw + 0.3 x Laplacian + 0.3 x pooled, each the shift-averaged smoothed Jaccard. */
export function mapSimilarity(a: MapViews, b: MapViews): number {
  return 0.4 * shiftJaccardSorted(a.raw, b.raw) + 0.3 * shiftJaccardSorted(a.lap, b.lap) + 0.3 * shiftJaccardSorted(a.pool, b.pool);
}
