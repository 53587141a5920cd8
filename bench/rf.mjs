#!/usr/bin/env node
// npm run bench:rf [-- --rows 100000] [--features 30] [--trees 100] [--no-peer]
// Our RandomForestClassifier (histogram splits, trees on 2 worker threads) against scikit-learn's
// RandomForestClassifier (n_jobs=2) on the same seeded data (written once to bench/results/), same
// run: training time, prediction time and accuracy on a held-out set, and the ratios. The peer runs
// in a venv bench/.venv-rf (created on first run: pip install scikit-learn). Imports the built dist
// of @cotrans/cotrans (npx tsc -b).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'cotrans/dist/index.js');
if (!existsSync(dist)) throw new Error(`${dist} missing: build first (npx tsc -b)`);
const { RandomForestClassifier, mulberry32, gaussian } = await import(dist);

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    test: { type: 'string', default: '20000' },
    features: { type: 'string', default: '30' },
    trees: { type: 'string', default: '100' },
    'no-peer': { type: 'boolean', default: false },
  },
});
const N = Number(args.rows);
const NT = Number(args.test);
const F = Number(args.features);
const T = Number(args.trees);

// 10 informative features (class means differ, with interactions), the rest noise, 5% label noise.
function make(n, seed) {
  const r = mulberry32(seed);
  const X = new Float64Array(n * F);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = r() < 0.4 ? 1 : 0;
    for (let f = 0; f < F; f++) X[i * F + f] = gaussian(r) + (f < 10 && c ? 0.35 * (1 + (f % 3)) : 0);
    if (c && X[i * F] * X[i * F + 1] > 1) X[i * F + 2] += 1;
    y[i] = r() < 0.05 ? 1 - c : c;
  }
  return { X, y };
}
const rows = (X, n) => Array.from({ length: n }, (_, i) => X.subarray(i * F, (i + 1) * F));
const train = make(N, 1);
const test = make(NT, 2);
const dir = join(root, 'bench/results/rf');
mkdirSync(dir, { recursive: true });
for (const [name, d] of [['train', train], ['test', test]]) {
  writeFileSync(join(dir, `${name}-X.f64`), Buffer.from(d.X.buffer));
  writeFileSync(join(dir, `${name}-y.u8`), Buffer.from(d.y.buffer));
}

console.log(`data: ${N} x ${F} train, ${NT} test, ${T} trees, 2 jobs`);
const Xtr = rows(train.X, N);
const Xte = rows(test.X, NT);
const ytr = Array.from(train.y);
const cpu = (c0) => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
let t = performance.now();
let c0 = process.cpuUsage();
const rf = await new RandomForestClassifier({ nEstimators: T, nJobs: 2, seed: 0 }).fit(Xtr, ytr);
const ourFit = (performance.now() - t) / 1000;
const ourFitCpu = cpu(c0);
t = performance.now();
c0 = process.cpuUsage();
const pred = rf.predict(Xte);
const ourPred = (performance.now() - t) / 1000;
const ourPredCpu = cpu(c0);
// a second call: the time of a forest already used once (any lazily prepared structures are warm)
t = performance.now();
c0 = process.cpuUsage();
const pred2 = rf.predict(Xte);
const ourPred2 = (performance.now() - t) / 1000;
const ourPred2Cpu = cpu(c0);
if (pred2.some((p, i) => p !== pred[i])) throw new Error('second predict differs from the first');
const ourAcc = pred.filter((p, i) => p === test.y[i]).length / NT;
const nodes = rf.trees.reduce((a, tr) => a + tr.feature.length, 0) / T;
console.log(`ours:    fit ${ourFit.toFixed(2)} s, predict ${ourPred.toFixed(3)} s, accuracy ${(100 * ourAcc).toFixed(2)}%, ${nodes.toFixed(0)} nodes/tree`);
console.log(`ours:    CPU time (all threads): fit ${ourFitCpu.toFixed(2)} s, predict ${ourPredCpu.toFixed(3)} s; predict again ${ourPred2.toFixed(3)} s wall, ${ourPred2Cpu.toFixed(3)} s CPU`);

if (!args['no-peer']) {
  const venv = join(root, 'bench/.venv-rf');
  const py = join(venv, 'bin/python');
  if (!existsSync(py)) {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(join(venv, 'bin/pip'), ['install', '-q', 'scikit-learn', 'numpy'], { stdio: 'inherit' });
  }
  const code = `
import numpy as np, time, sklearn
from sklearn.ensemble import RandomForestClassifier
d = ${JSON.stringify(dir)}
F = ${F}
Xtr = np.fromfile(d + '/train-X.f64').reshape(-1, F); ytr = np.fromfile(d + '/train-y.u8', dtype=np.uint8)
Xte = np.fromfile(d + '/test-X.f64').reshape(-1, F); yte = np.fromfile(d + '/test-y.u8', dtype=np.uint8)
m = RandomForestClassifier(n_estimators=${T}, n_jobs=2, random_state=0)
t = time.perf_counter(); c = time.process_time(); m.fit(Xtr, ytr); fit = time.perf_counter() - t; fitc = time.process_time() - c
t = time.perf_counter(); c = time.process_time(); p = m.predict(Xte); pred = time.perf_counter() - t; predc = time.process_time() - c
t = time.perf_counter(); c = time.process_time(); m.predict(Xte); pred2 = time.perf_counter() - t; pred2c = time.process_time() - c
nodes = sum(e.tree_.node_count for e in m.estimators_) / len(m.estimators_)
print(f"{fit} {pred} {(p == yte).mean()} {nodes} {sklearn.__version__} {fitc} {predc} {pred2} {pred2c}")
`;
  const res = spawnSync(py, ['-c', code], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`scikit-learn peer failed: ${res.stderr}`);
  const [fit, predS, acc, pnodes, ver, fitc, predc, pred2, pred2c] = res.stdout.trim().split(' ');
  console.log(`sklearn: fit ${Number(fit).toFixed(2)} s, predict ${Number(predS).toFixed(3)} s, accuracy ${(100 * Number(acc)).toFixed(2)}%, ${Number(pnodes).toFixed(0)} nodes/tree (scikit-learn ${ver}, n_jobs=2)`);
  console.log(`sklearn: CPU time (all threads): fit ${Number(fitc).toFixed(2)} s, predict ${Number(predc).toFixed(3)} s; predict again ${Number(pred2).toFixed(3)} s wall, ${Number(pred2c).toFixed(3)} s CPU`);
  console.log(`ratio: fit time ours/sklearn ${(ourFit / Number(fit)).toFixed(2)} (target <= 1.5), predict time ours/sklearn ${(ourPred / Number(predS)).toFixed(2)} (target <= 1), accuracy ours - sklearn ${(100 * (ourAcc - Number(acc))).toFixed(2)} points (target within 1)`);
}
