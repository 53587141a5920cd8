// The forest compiled for prediction. Each split `x[f] > threshold` becomes an integer compare on
// codes: per feature, the distinct thresholds used anywhere in the forest are sorted, and a value's
// code is the number of them strictly below it, so `x > cuts[c]` iff `code(x) > c` (NaN gets code 0
// and goes left, as `NaN > t` is false). Rows are coded once (one byte per value while every feature has
// <= 255 cuts, which holds for every forest we grow since cuts are bin edges), then every tree walks
// them with no float loads and no branch on the comparison. Internal nodes of all trees sit in one
// Int32Array, three words each (feature | code << 16, left ref, right ref), breadth-first per tree so
// the top levels every row visits share cache lines; a ref >= 0 is the word offset of an internal
// node, a ref < 0 is ~(offset of the leaf's class distribution) in a table where identical
// distributions are stored once (most leaves are pure). The sums are taken per row, tree by tree in
// forest order, exactly as the plain walk does, so the probabilities are bit-identical.

export interface CompilableTree {
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  value: ArrayLike<number>;
}

export interface CompiledForest {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  /** Sorted distinct thresholds per feature (NaN thresholds excluded: they send everything left). */
  cuts: Float64Array[];
  /** Codes fit a byte (every feature has <= 255 cuts); otherwise two bytes. */
  narrow: boolean;
  /** When narrow: cuts[f] at f * 256, padded with +Infinity. */
  padded: Float64Array | null;
  /** Internal nodes, 3 words each: feature | code << 16, left ref, right ref. */
  nodes: Int32Array;
  /** Per tree, the ref of its root (an internal node offset, or ~leaf offset for a one-leaf tree). */
  roots: Int32Array;
  /** Distinct leaf class distributions, nClasses values each. */
  leaves: Float64Array;
}

/** Splits compile when codes fit 16 bits and feature indices 16 bits; otherwise null (walk on floats). */
export function compileForest(trees: readonly CompilableTree[], nFeatures: number, nClasses: number): CompiledForest | null {
  if (nFeatures > 0xffff || trees.length === 0) return null;
  const K = nClasses;
  // distinct thresholds per feature (a Set: SameValueZero puts -0 with 0, which compare alike)
  const per: Set<number>[] = Array.from({ length: nFeatures }, () => new Set<number>());
  let nInternal = 0;
  for (const t of trees) {
    const { feature, threshold } = t;
    for (let i = 0; i < feature.length; i++) {
      const f = feature[i];
      if (f < 0) continue;
      nInternal++;
      const v = threshold[i];
      if (v === v) per[f].add(v); // NaN: no cut, everything goes left
    }
  }
  const cuts: Float64Array[] = per.map((vals) => Float64Array.from(vals).sort());
  let maxCuts = 0;
  for (const c of cuts) if (c.length > maxCuts) maxCuts = c.length;
  if (maxCuts > 0xfffe) return null;

  const narrow = maxCuts <= 0xff;
  let padded: Float64Array | null = null;
  if (narrow) {
    padded = new Float64Array(nFeatures * 256).fill(Infinity);
    for (let f = 0; f < nFeatures; f++) padded.set(cuts[f], f * 256);
  }
  const nodes = new Int32Array(3 * nInternal);
  const roots = new Int32Array(trees.length);
  const leafTable = new LeafTable(K);
  let next = 0; // word offset of the next internal node
  const queue: number[] = [];
  for (let ti = 0; ti < trees.length; ti++) {
    const { feature, threshold, left, right, value } = trees[ti];
    // breadth-first: a node's slot is assigned when it is enqueued, children are written when it is dequeued
    const ref = (node: number): number => {
      if (feature[node] < 0) return ~leafTable.offsetOf(value, node * K);
      const at = next;
      next += 3;
      queue.push(node, at);
      return at;
    };
    roots[ti] = ref(0);
    for (let q = 0; q < queue.length; q += 2) {
      const node = queue[q];
      const at = queue[q + 1];
      const f = feature[node];
      const thr = threshold[node];
      const fc = cuts[f];
      const code = Number.isNaN(thr) ? fc.length : padded ? countBelow(padded, f, thr) : lowerBound(fc, thr);
      nodes[at] = f | (code << 16);
      nodes[at + 1] = ref(left[node]);
      nodes[at + 2] = ref(right[node]);
    }
    queue.length = 0;
  }
  return { nFeatures, nClasses: K, nTrees: trees.length, cuts, narrow, padded, nodes: nodes.subarray(0, next), roots, leaves: leafTable.values() };
}

/** First index b with cuts[b] >= x (= the number of cuts below x; 0 for NaN). */
function lowerBound(cuts: Float64Array, x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The number of feature f's cuts below x, in 8 steps whose compares become bits, not branches. */
function countBelow(pad: Float64Array, f: number, x: number): number {
  const b = f << 8;
  let c = b;
  c += +(pad[c + 127] < x) << 7;
  c += +(pad[c + 63] < x) << 6;
  c += +(pad[c + 31] < x) << 5;
  c += +(pad[c + 15] < x) << 4;
  c += +(pad[c + 7] < x) << 3;
  c += +(pad[c + 3] < x) << 2;
  c += +(pad[c + 1] < x) << 1;
  c += +(pad[c] < x);
  return c - b;
}

/** Rows [from, to) of X coded per feature, row-major (row i at (i - from) * nFeatures). */
export function encodeRows(cf: CompiledForest, X: ArrayLike<number>[], from: number, to: number): Uint8Array | Uint16Array {
  const F = cf.nFeatures;
  const n = to - from;
  const buf = new ArrayBuffer(n * F * (cf.narrow ? 1 : 2));
  if (cf.narrow) {
    // cuts padded to 256 per feature with +Infinity (never below a value): an 8-step search
    // without branches (the compare becomes a bit), row by row so X is read once, in order
    const pad = cf.padded!;
    const out = new Uint8Array(buf);
    for (let i = 0; i < n; i++) {
      const r = X[from + i];
      const o = i * F;
      for (let f = 0; f < F; f++) out[o + f] = countBelow(pad, f, r[f]);
    }
    return out;
  }
  const out = new Uint16Array(buf);
  for (let i = 0; i < n; i++) {
    const r = X[from + i];
    for (let f = 0; f < F; f++) out[i * F + f] = lowerBound(cf.cuts[f], r[f]);
  }
  return out;
}

/**
 * Adds every tree's leaf distribution to acc (row-major, nClasses per row) for coded rows [from, n),
 * trees in forest order per row; acc is not divided by the number of trees. Eight rows walk a tree
 * at once, each lane taking the next row when it reaches a leaf: their loads are independent, so
 * the core overlaps them instead of waiting on one root-to-leaf chain of dependent loads.
 */
export function accumulate(cf: CompiledForest, codes: Uint8Array | Uint16Array, from: number, to: number, acc: Float64Array): void {
  const { nodes, roots, leaves, nFeatures: F, nClasses: K, nTrees: T } = cf;
  const addLeaf = (acc: Float64Array, row: number, leaves: Float64Array, off: number, K: number): void => {
    if (K === 2) {
      acc[2 * row] += leaves[off];
      acc[2 * row + 1] += leaves[off + 1];
    } else for (let k = 0; k < K; k++) acc[row * K + k] += leaves[off + k];
  };
  for (let t = 0; t < T; t++) {
    const root = roots[t];
    if (root < 0) {
      for (let i = from; i < to; i++) for (let k = 0; k < K; k++) acc[i * K + k] += leaves[~root + k];
      continue;
    }
    let next = from;
    let active = 0;
    let m: number;
    // a lane with row -1 is idle
    let r0 = -1, r1 = -1, r2 = -1, r3 = -1, r4 = -1, r5 = -1, r6 = -1, r7 = -1;
    let n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root;
    if (next < to) { r0 = next++; active++; }
    if (next < to) { r1 = next++; active++; }
    if (next < to) { r2 = next++; active++; }
    if (next < to) { r3 = next++; active++; }
    if (next < to) { r4 = next++; active++; }
    if (next < to) { r5 = next++; active++; }
    if (next < to) { r6 = next++; active++; }
    if (next < to) { r7 = next++; active++; }
    while (active > 0) {
      // one step per lane: right iff code(x) > code(threshold), as a bit
      if (r0 >= 0) {
        m = nodes[n0];
        n0 = nodes[n0 + 1 + (((m >>> 16) - codes[r0 * F + (m & 0xffff)]) >>> 31)];
        if (n0 < 0) {
          addLeaf(acc, r0, leaves, ~n0, K);
          if (next < to) { r0 = next++; n0 = root; } else { r0 = -1; active--; }
        }
      }
      if (r1 >= 0) {
        m = nodes[n1];
        n1 = nodes[n1 + 1 + (((m >>> 16) - codes[r1 * F + (m & 0xffff)]) >>> 31)];
        if (n1 < 0) {
          addLeaf(acc, r1, leaves, ~n1, K);
          if (next < to) { r1 = next++; n1 = root; } else { r1 = -1; active--; }
        }
      }
      if (r2 >= 0) {
        m = nodes[n2];
        n2 = nodes[n2 + 1 + (((m >>> 16) - codes[r2 * F + (m & 0xffff)]) >>> 31)];
        if (n2 < 0) {
          addLeaf(acc, r2, leaves, ~n2, K);
          if (next < to) { r2 = next++; n2 = root; } else { r2 = -1; active--; }
        }
      }
      if (r3 >= 0) {
        m = nodes[n3];
        n3 = nodes[n3 + 1 + (((m >>> 16) - codes[r3 * F + (m & 0xffff)]) >>> 31)];
        if (n3 < 0) {
          addLeaf(acc, r3, leaves, ~n3, K);
          if (next < to) { r3 = next++; n3 = root; } else { r3 = -1; active--; }
        }
      }
      if (r4 >= 0) {
        m = nodes[n4];
        n4 = nodes[n4 + 1 + (((m >>> 16) - codes[r4 * F + (m & 0xffff)]) >>> 31)];
        if (n4 < 0) {
          addLeaf(acc, r4, leaves, ~n4, K);
          if (next < to) { r4 = next++; n4 = root; } else { r4 = -1; active--; }
        }
      }
      if (r5 >= 0) {
        m = nodes[n5];
        n5 = nodes[n5 + 1 + (((m >>> 16) - codes[r5 * F + (m & 0xffff)]) >>> 31)];
        if (n5 < 0) {
          addLeaf(acc, r5, leaves, ~n5, K);
          if (next < to) { r5 = next++; n5 = root; } else { r5 = -1; active--; }
        }
      }
      if (r6 >= 0) {
        m = nodes[n6];
        n6 = nodes[n6 + 1 + (((m >>> 16) - codes[r6 * F + (m & 0xffff)]) >>> 31)];
        if (n6 < 0) {
          addLeaf(acc, r6, leaves, ~n6, K);
          if (next < to) { r6 = next++; n6 = root; } else { r6 = -1; active--; }
        }
      }
      if (r7 >= 0) {
        m = nodes[n7];
        n7 = nodes[n7 + 1 + (((m >>> 16) - codes[r7 * F + (m & 0xffff)]) >>> 31)];
        if (n7 < 0) {
          addLeaf(acc, r7, leaves, ~n7, K);
          if (next < to) { r7 = next++; n7 = root; } else { r7 = -1; active--; }
        }
      }
    }
  }
}

/**
 * Distinct leaf distributions (open addressing). Equal means Object.is per class: bit-identical
 * but for NaN payloads, which sum to NaN alike.
 */
class LeafTable {
  private vals: Float64Array;
  private slots: Int32Array;
  private count = 0;
  constructor(private readonly K: number) {
    this.vals = new Float64Array(64 * K);
    this.slots = new Int32Array(256).fill(-1);
  }

  private static hash(v: ArrayLike<number>, from: number, K: number): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < K; k++) {
      const x = v[from + k];
      h = Math.imul(h ^ ((x * 1073741824) | 0), 0x01000193);
      h = Math.imul(h ^ (x < 0 || Object.is(x, -0) ? 1 : 0), 0x01000193);
    }
    return h ^ (h >>> 15);
  }

  /** Offset (in values) of the distribution value[from .. from + K) in the table, added if new. */
  offsetOf(value: ArrayLike<number>, from: number): number {
    const K = this.K;
    const mask = this.slots.length - 1;
    let s = LeafTable.hash(value, from, K) & mask;
    for (;;) {
      const e = this.slots[s];
      if (e < 0) break;
      let same = true;
      for (let k = 0; k < K && same; k++) same = Object.is(this.vals[e * K + k], value[from + k]);
      if (same) return e * K;
      s = (s + 1) & mask;
    }
    const e = this.count++;
    if (e * K + K > this.vals.length) {
      const grown = new Float64Array(this.vals.length * 2);
      grown.set(this.vals);
      this.vals = grown;
    }
    for (let k = 0; k < K; k++) this.vals[e * K + k] = value[from + k];
    this.slots[s] = e;
    if (this.count * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(-1);
      const m2 = this.slots.length - 1;
      for (let j = 0; j < this.count; j++) {
        let t = LeafTable.hash(this.vals, j * K, K) & m2;
        while (this.slots[t] >= 0) t = (t + 1) & m2;
        this.slots[t] = j;
      }
    }
    return e * K;
  }

  values(): Float64Array {
    return this.vals.slice(0, this.count * this.K);
  }
}
