// Histogram binning: each feature is cut once into at most `maxBins` quantile bins, so a split search
// is a pass over the node's samples plus a scan over bins (n log n overall, never n^2).
// NaN is treated as -Infinity: it lands in bin 0 and goes left at every split, at fit and predict alike.

export interface Binned {
  nSamples: number;
  nFeatures: number;
  /** Feature-major bin codes: bins[f * nSamples + i]. */
  bins: Uint8Array;
  /** Bins used per feature. */
  nBins: Int32Array;
  /** edges[f][b]: a value x goes to bin <= b iff x <= edges[f][b]; length nBins[f] - 1. */
  edges: Float64Array[];
}

/** Threshold between two adjacent distinct values, never equal to the upper one (sklearn's rule). */
function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m >= b ? a : m;
}

export function computeEdges(column: Float64Array, maxBins: number): Float64Array {
  const vals = column.filter((v) => !Number.isNaN(v)).sort();
  const n = vals.length;
  if (n === 0) return new Float64Array(0);
  // distinct values
  const distinct: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || vals[i] !== vals[i - 1]) distinct.push(vals[i]);
  if (distinct.length <= maxBins) {
    const e = new Float64Array(distinct.length - 1);
    for (let i = 0; i + 1 < distinct.length; i++) e[i] = midpoint(distinct[i], distinct[i + 1]);
    return e;
  }
  const edges: number[] = [];
  for (let q = 1; q < maxBins; q++) {
    const v = vals[Math.min(n - 1, Math.floor((q * n) / maxBins))];
    // next distinct value above v
    let lo = 0;
    let hi = distinct.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    if (distinct[lo] <= v) continue; // v is the maximum
    const e = midpoint(distinct[lo - 1], distinct[lo]);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** Bin of x given edges: the first b with x <= edges[b], else the last bin. */
export function binOf(edges: Float64Array, x: number): number {
  if (Number.isNaN(x)) return 0;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** X is row-major (n rows of nFeatures). */
export function binMatrix(X: ArrayLike<number>[], maxBins = 256, shared = false): Binned {
  if (maxBins < 2 || maxBins > 256) throw new RangeError(`maxBins must be in [2, 256], got ${maxBins}`);
  const n = X.length;
  const nF = n ? X[0].length : 0;
  const buf = shared ? new SharedArrayBuffer(n * nF) : new ArrayBuffer(n * nF);
  const bins = new Uint8Array(buf);
  const nBins = new Int32Array(nF);
  const edges: Float64Array[] = [];
  const col = new Float64Array(n);
  for (let f = 0; f < nF; f++) {
    for (let i = 0; i < n; i++) col[i] = X[i][f];
    const e = computeEdges(col, maxBins);
    edges.push(e);
    nBins[f] = e.length + 1;
    const off = f * n;
    for (let i = 0; i < n; i++) bins[off + i] = binOf(e, col[i]);
  }
  return { nSamples: n, nFeatures: nF, bins, nBins, edges };
}
