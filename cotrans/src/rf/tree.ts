// One decision tree grown on binned data. Pure and self-contained (no imports beyond the RNG) so a
// worker thread can run it on a shared copy of the bins.
import { mulberry32 } from '@cotrans/core';

export type Criterion = 'gini' | 'entropy';

export interface TreeParams {
  criterion: Criterion;
  maxDepth: number; // Infinity for none
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features tried per split. */
  mtry: number;
  bootstrap: boolean;
  /** Bootstrap sample size (n when undefined). */
  maxSamples?: number;
}

export interface TreeData {
  /** Split feature per node, -1 for a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Class probabilities per node: value[node * nClasses + k]. */
  value: Float64Array;
  /** Weighted impurity decrease per feature (unnormalised). */
  importance: Float64Array;
  /** Bootstrap counts per training sample (absent without bootstrap): 0 = out of bag. */
  inBag?: Uint16Array;
}

export interface BinnedView {
  nSamples: number;
  nFeatures: number;
  bins: Uint8Array;
  nBins: Int32Array;
  edges: Float64Array[];
}

function impurity(c: Float64Array, off: number, K: number, W: number, crit: Criterion): number {
  if (W <= 0) return 0;
  if (crit === 'gini') {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const p = c[off + k] / W;
      s += p * p;
    }
    return 1 - s;
  }
  let h = 0;
  for (let k = 0; k < K; k++) {
    const p = c[off + k] / W;
    if (p > 0) h -= p * Math.log2(p);
  }
  return h;
}

export function growTree(
  data: BinnedView,
  y: Uint8Array | Int32Array,
  nClasses: number,
  classWeight: Float64Array,
  params: TreeParams,
  seed: number,
): TreeData {
  const rand = mulberry32(seed);
  const n = data.nSamples;
  const nF = data.nFeatures;
  const K = nClasses;
  const { bins, nBins, edges } = data;
  const w = new Float64Array(n);
  let inBag: Uint16Array | undefined;
  let idx: Int32Array;
  if (params.bootstrap) {
    inBag = new Uint16Array(n);
    const m = params.maxSamples ?? n;
    for (let j = 0; j < m; j++) inBag[Math.floor(rand() * n)]++;
    let cnt = 0;
    for (let i = 0; i < n; i++) if (inBag[i] > 0) cnt++;
    idx = new Int32Array(cnt);
    let p = 0;
    for (let i = 0; i < n; i++) {
      if (inBag[i] > 0) {
        idx[p++] = i;
        w[i] = inBag[i] * classWeight[y[i]];
      }
    }
  } else {
    idx = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      idx[i] = i;
      w[i] = classWeight[y[i]];
    }
  }

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const importance = new Float64Array(nF);

  const histW = new Float64Array(256 * K);
  const histN = new Int32Array(256);
  const tot = new Float64Array(K);
  const accL = new Float64Array(K);
  const bestL = new Float64Array(K);
  const feats = new Int32Array(nF);
  for (let f = 0; f < nF; f++) feats[f] = f;
  const crit = params.criterion;

  // explicit stack: [start, end, depth, nodeId]
  const stack: number[] = [0, idx.length, 0, 0];
  feature.push(-1); threshold.push(0); left.push(-1); right.push(-1);
  for (let k = 0; k < K; k++) value.push(0);

  while (stack.length) {
    const node = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    tot.fill(0);
    let W = 0;
    for (let i = start; i < end; i++) {
      const s = idx[i];
      tot[y[s]] += w[s];
    }
    for (let k = 0; k < K; k++) W += tot[k];
    for (let k = 0; k < K; k++) value[node * K + k] = W > 0 ? tot[k] / W : 1 / K;
    const nNode = end - start;
    const imp = impurity(tot, 0, K, W, crit);
    if (depth >= params.maxDepth || nNode < params.minSamplesSplit || nNode < 2 * params.minSamplesLeaf || imp <= 1e-12) continue;

    let bestScore = Infinity; // weighted child impurity
    let bestF = -1;
    let bestBin = -1;
    let bestWL = 0;
    let visited = 0;
    let nDrawn = 0;
    // Draw features without replacement until mtry non-constant ones were tried (or all were drawn).
    while (nDrawn < nF && visited < params.mtry) {
      const j = nDrawn + Math.floor(rand() * (nF - nDrawn));
      const f = feats[j];
      feats[j] = feats[nDrawn];
      feats[nDrawn] = f;
      nDrawn++;
      const off = f * n;
      let lo = 255;
      let hi = 0;
      for (let i = start; i < end; i++) {
        const s = idx[i];
        const b = bins[off + s];
        if (b < lo) lo = b;
        if (b > hi) hi = b;
        histN[b]++;
        histW[b * K + y[s]] += w[s];
      }
      if (lo >= hi) {
        // constant in this node: does not count towards mtry (as in scikit-learn)
        histN[lo] = 0;
        for (let k = 0; k < K; k++) histW[lo * K + k] = 0;
        continue;
      }
      visited++;
      accL.fill(0);
      let nL = 0;
      let WL = 0;
      for (let b = lo; b < hi; b++) {
        const hn = histN[b];
        if (hn === 0) continue;
        nL += hn;
        for (let k = 0; k < K; k++) {
          const v = histW[b * K + k];
          accL[k] += v;
          WL += v;
        }
        if (nL < params.minSamplesLeaf) continue;
        if (nNode - nL < params.minSamplesLeaf) break;
        const WR = W - WL;
        if (WL <= 0 || WR <= 0) continue;
        let score: number;
        if (crit === 'gini') {
          let sl = 0;
          let sr = 0;
          for (let k = 0; k < K; k++) {
            const r = tot[k] - accL[k];
            sl += accL[k] * accL[k];
            sr += r * r;
          }
          score = WL - sl / WL + (WR - sr / WR); // = WL*giniL + WR*giniR
        } else {
          let hl = 0;
          let hr = 0;
          for (let k = 0; k < K; k++) {
            const l = accL[k];
            const r = tot[k] - l;
            if (l > 0) hl -= l * Math.log2(l / WL);
            if (r > 0) hr -= r * Math.log2(r / WR);
          }
          score = hl + hr;
        }
        if (score < bestScore - 1e-12) {
          bestScore = score;
          bestF = f;
          bestBin = b;
          bestWL = WL;
          bestL.set(accL);
        }
      }
      histN.fill(0, lo, hi + 1);
      histW.fill(0, lo * K, (hi + 1) * K);
    }
    if (bestF < 0) continue;
    const gain = W * imp - bestScore;
    if (gain <= 1e-12 * W) continue;
    importance[bestF] += gain;
    // partition idx[start, end) by bin <= bestBin
    const off = bestF * n;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (bins[off + idx[i]] <= bestBin) i++;
      else {
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        j--;
      }
    }
    const mid = i;
    void bestWL;
    const l = feature.length;
    const r = l + 1;
    for (let c = 0; c < 2; c++) {
      feature.push(-1); threshold.push(0); left.push(-1); right.push(-1);
      for (let k = 0; k < K; k++) value.push(0);
    }
    feature[node] = bestF;
    threshold[node] = edges[bestF][bestBin];
    left[node] = l;
    right[node] = r;
    stack.push(mid, end, depth + 1, r);
    stack.push(start, mid, depth + 1, l);
  }
  void nBins;
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    importance,
    ...(inBag ? { inBag } : {}),
  };
}

/** Leaf reached by row x (NaN goes left, as at fit). */
export function leafOf(t: Pick<TreeData, 'feature' | 'threshold' | 'left' | 'right'>, x: ArrayLike<number>): number {
  let node = 0;
  let f = t.feature[0];
  while (f >= 0) {
    const v = x[f];
    node = v > t.threshold[node] ? t.right[node] : t.left[node];
    f = t.feature[node];
  }
  return node;
}
