// Small dense linear algebra for domain alignment (feature counts are tens, so plain arrays do).

export type Matrix = number[][];

export function columnStats(X: readonly ArrayLike<number>[]): { mean: number[]; std: number[] } {
  const nF = X[0]?.length ?? 0;
  const mean = new Array(nF).fill(0);
  const cnt = new Array(nF).fill(0);
  for (const r of X) for (let f = 0; f < nF; f++) if (Number.isFinite(r[f])) {
    mean[f] += r[f];
    cnt[f]++;
  }
  for (let f = 0; f < nF; f++) mean[f] = cnt[f] ? mean[f] / cnt[f] : 0;
  const std = new Array(nF).fill(0);
  for (const r of X) for (let f = 0; f < nF; f++) if (Number.isFinite(r[f])) std[f] += (r[f] - mean[f]) ** 2;
  for (let f = 0; f < nF; f++) std[f] = cnt[f] > 1 ? Math.sqrt(std[f] / (cnt[f] - 1)) : 0;
  return { mean, std };
}

export function covariance(X: readonly ArrayLike<number>[]): Matrix {
  const n = X.length;
  const d = X[0]?.length ?? 0;
  const { mean } = columnStats(X);
  const C: Matrix = Array.from({ length: d }, () => new Array(d).fill(0));
  for (const r of X) for (let i = 0; i < d; i++) {
    const a = (Number.isFinite(r[i]) ? r[i] : mean[i]) - mean[i];
    for (let j = i; j < d; j++) C[i][j] += a * ((Number.isFinite(r[j]) ? r[j] : mean[j]) - mean[j]);
  }
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) {
    C[i][j] /= Math.max(1, n - 1);
    C[j][i] = C[i][j];
  }
  return C;
}

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi). */
export function symEig(A: Matrix): { values: number[]; vectors: Matrix } {
  const n = A.length;
  const a = A.map((r) => [...r]);
  const v: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      if (Math.abs(a[p][q]) < 1e-300) continue;
      const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k][p];
        const akq = a[k][q];
        a[k][p] = c * akp - s * akq;
        a[k][q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p][k];
        const aqk = a[q][k];
        a[p][k] = c * apk - s * aqk;
        a[q][k] = s * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = v[k][p];
        const vkq = v[k][q];
        v[k][p] = c * vkp - s * vkq;
        v[k][q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: a.map((r, i) => r[i]), vectors: v };
}

/** A^power for symmetric positive semi-definite A (eigenvalues floored at eps). */
export function symPow(A: Matrix, power: number, eps = 1e-8): Matrix {
  const { values, vectors } = symEig(A);
  const n = A.length;
  const d = values.map((l) => Math.max(l, eps) ** power);
  const out: Matrix = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += vectors[i][k] * d[k] * vectors[j][k];
    out[i][j] = s;
  }
  return out;
}

export function matMul(A: Matrix, B: Matrix): Matrix {
  const n = A.length;
  const m = B[0]?.length ?? 0;
  const k = B.length;
  const out: Matrix = Array.from({ length: n }, () => new Array(m).fill(0));
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) {
    const a = A[i][t];
    if (a === 0) continue;
    for (let j = 0; j < m; j++) out[i][j] += a * B[t][j];
  }
  return out;
}
