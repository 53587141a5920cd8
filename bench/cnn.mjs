#!/usr/bin/env node
// npm run bench:cnn [-- --samples 4096] [--epochs 2] [--no-peer]
// Training samples/s of our CNN (tfjs; backend: tfjs-node if installed, else wasm with our conv
// filter gradient) at 24x24 and 32x32, against the same net (conv 3x3x8 same + relu + 2x2 max pool,
// conv 3x3x16 same + relu + 2x2 max pool, dense 24 + relu, dropout 0.5, sigmoid; Adam, batch 64)
// written in JAX on the CPU (jit-compiled train step), same run. Debian's python3-torch would be the
// other peer; PyPI's torch wheel drags CUDA libraries, so JAX (pip install jax, CPU) stands in.
// The peer runs in bench/.venv-cnn (created on first run). Imports the built dist (npx tsc -b).
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'cotrans/dist/index.js');
if (!existsSync(dist)) throw new Error(`${dist} missing: build first (npx tsc -b)`);
const { Cnn, mulberry32 } = await import(dist);

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '4096' },
    epochs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '24,32' },
    'no-peer': { type: 'boolean', default: false },
  },
});
const N = Number(args.samples);
const E = Number(args.epochs);
const sizes = args.sizes.split(',').map(Number);

function data(size) {
  const r = mulberry32(size);
  const px = size * size;
  const images = new Float32Array(N * px);
  const labels = [];
  for (let i = 0; i < N; i++) {
    const c = i % 2;
    labels.push(c);
    for (let p = 0; p < px; p++) images[i * px + p] = r() < (c ? 0.3 : 0.1) ? r() : 0;
  }
  return { images, labels };
}

const ours = {};
for (const size of sizes) {
  const { images, labels } = data(size);
  const net = await Cnn.create({ inputSize: size, batchSize: 64, maxEpochs: E, validationSplit: 0, patience: 100, balanceClasses: false });
  const r = await net.fit(images, labels);
  // the first epoch includes warm-up; report the best later epoch
  const rates = r.epochs.slice(1).map((e) => e.samplesPerSec);
  ours[size] = Math.max(...(rates.length ? rates : [r.epochs[0].samplesPerSec]));
  console.log(`ours ${size}x${size}: ${ours[size].toFixed(0)} samples/s (backend ${net.backend}, ${net.parameterCount} parameters)`);
  net.dispose();
}

if (!args['no-peer']) {
  const venv = join(root, 'bench/.venv-cnn');
  const py = join(venv, 'bin/python');
  if (!existsSync(py)) {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(join(venv, 'bin/pip'), ['install', '-q', 'jax', 'numpy'], { stdio: 'inherit' });
  }
  const code = `
import time, sys, numpy as np, jax, jax.numpy as jnp
from jax import lax
N, E = ${N}, ${E}
def init(key, size):
    ks = jax.random.split(key, 4)
    g = lambda k, shape, fi, fo: jax.random.uniform(k, shape, minval=-1, maxval=1) * np.sqrt(6 / (fi + fo))
    flat = (size // 4) * (size // 4) * 16
    return [g(ks[0], (3, 3, 1, 8), 9, 72), jnp.zeros(8), g(ks[1], (3, 3, 8, 16), 72, 144), jnp.zeros(16),
            g(ks[2], (flat, 24), flat, 24), jnp.zeros(24), g(ks[3], (24, 1), 24, 1), jnp.zeros(1)]
def conv(x, w): return lax.conv_general_dilated(x, w, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
def pool(x): return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), 'VALID')
def forward(p, x, key):
    h = pool(jax.nn.relu(conv(x, p[0]) + p[1]))
    h = pool(jax.nn.relu(conv(h, p[2]) + p[3]))
    h = jax.nn.relu(h.reshape(h.shape[0], -1) @ p[4] + p[5])
    keep = jax.random.bernoulli(key, 0.5, h.shape)
    h = jnp.where(keep, h / 0.5, 0)
    return h @ p[6] + p[7]
def loss(p, x, y, key):
    z = forward(p, x, key)[:, 0]
    return jnp.mean(jnp.maximum(z, 0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z))))
@jax.jit
def step(p, m, v, t, x, y, key):
    l, g = jax.value_and_grad(loss)(p, x, y, key)
    b1, b2, lr, eps = 0.9, 0.999, 0.003, 1e-7
    m = [b1 * a + (1 - b1) * b for a, b in zip(m, g)]
    v = [b2 * a + (1 - b2) * b * b for a, b in zip(v, g)]
    p = [w - lr * (a / (1 - b1 ** t)) / (jnp.sqrt(b / (1 - b2 ** t)) + eps) for w, a, b in zip(p, m, v)]
    return p, m, v, l
for size in [${sizes.join(',')}]:
    rng = np.random.default_rng(size)
    y = (np.arange(N) % 2).astype(np.float32)
    x = np.where(rng.random((N, size, size, 1)) < np.where(y[:, None, None, None] > 0, 0.3, 0.1), rng.random((N, size, size, 1)), 0).astype(np.float32)
    p = init(jax.random.PRNGKey(0), size); m = [jnp.zeros_like(a) for a in p]; v = [jnp.zeros_like(a) for a in p]
    key = jax.random.PRNGKey(1); t = 0; best = 0
    for e in range(E):
        t0 = time.perf_counter()
        for b in range(0, N - 63, 64):
            t += 1; key, sub = jax.random.split(key)
            p, m, v, l = step(p, m, v, t, x[b:b+64], y[b:b+64], sub)
        l.block_until_ready()
        rate = (N // 64 * 64) / (time.perf_counter() - t0)
        if e > 0 or E == 1: best = max(best, rate)
    print(size, best, jax.__version__, flush=True)
`;
  const res = spawnSync(py, ['-c', code], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`JAX peer failed: ${res.stderr}`);
  for (const line of res.stdout.trim().split('\n')) {
    const [size, rate, ver] = line.split(' ');
    console.log(`jax  ${size}x${size}: ${Number(rate).toFixed(0)} samples/s (JAX ${ver}, CPU)`);
    console.log(`ratio ${size}x${size}: ours/JAX ${(ours[size] / Number(rate)).toFixed(2)} (target >= 0.33)`);
  }
}
