// A small binary CNN (conv+pool blocks, one dense layer, dropout in training only, sigmoid) with its
// own seeded init, Adam training with early stopping on a validation split, and a JSON+bin format.
import type * as tfjs from '@tensorflow/tfjs';
import { initTf, type BackendPreference, type Tf } from './backend.js';
import type { ParamSpec } from './weights-file.js';
import { makeConv2dValid, padSame, pool } from './layers.js';
import { mulberry32, shuffle } from '@cotrans/core';
import { dannScale, makeGradientReversal, mkMmd, type DomainAdaptation } from './domain.js';
import { readWeightsFile, writeWeightsFile } from './weights-file.js';

export interface ConvBlock {
  filters: number;
  kernel: number;
  /** Pool window (and stride); 1 = none. */
  pool: number;
  poolType: 'max' | 'avg';
  padding: 'same' | 'valid';
}

export interface CnnConfig {
  inputSize: number;
  channels: number;
  convs: ConvBlock[];
  dense: number;
  dropout: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation loss. */
  patience: number;
  validationSplit: number;
  /** Weight classes inversely to their frequency in the training set. */
  balanceClasses: boolean;
  seed: number;
}

/** After the reference work's supervised variant: conv 3x3x8, max pool, conv 3x3x16, max pool, dense 24, dropout, sigmoid. */
export const DEFAULT_CNN: CnnConfig = {
  inputSize: 24,
  channels: 1,
  convs: [
    { filters: 8, kernel: 3, pool: 2, poolType: 'max', padding: 'same' },
    { filters: 16, kernel: 3, pool: 2, poolType: 'max', padding: 'same' },
  ],
  dense: 24,
  dropout: 0.5,
  learningRate: 0.003,
  batchSize: 64,
  maxEpochs: 30,
  patience: 4,
  validationSplit: 0.15,
  balanceClasses: true,
  seed: 0,
};

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss: number | null;
  samplesPerSec: number;
}

export interface CnnFitResult {
  epochs: EpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
}

function glorot(rand: () => number, shape: number[], fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

export class Cnn {
  readonly config: CnnConfig;
  private tf!: Tf;
  private conv!: (x: tfjs.Tensor4D, w: tfjs.Tensor4D) => tfjs.Tensor4D;
  private convFirst!: (x: tfjs.Tensor4D, w: tfjs.Tensor4D) => tfjs.Tensor4D;
  private vars: tfjs.Variable[] = [];
  private specs: ParamSpec[] = [];
  private flatSize = 0;
  backend = '';
  private fits = 0;

  private constructor(config: CnnConfig) {
    this.config = config;
  }

  /** A fresh, seeded network on the best available backend. */
  static async create(config: Partial<CnnConfig> = {}, backend?: BackendPreference): Promise<Cnn> {
    const net = new Cnn({ ...DEFAULT_CNN, ...config });
    await net.init(backend);
    net.initParams();
    return net;
  }

  private async init(backend?: BackendPreference) {
    const { tf, backend: name } = await initTf(backend);
    this.tf = tf;
    this.backend = name;
    this.conv = makeConv2dValid(tf);
    this.convFirst = makeConv2dValid(tf, { inputGrad: false });
    const c = this.config;
    if (!c.convs.length) throw new RangeError('a CNN needs at least one conv block');
    this.specs = [];
    let size = c.inputSize;
    let ch = c.channels;
    c.convs.forEach((b, i) => {
      this.specs.push({ name: `conv${i}/kernel`, shape: [b.kernel, b.kernel, ch, b.filters] }, { name: `conv${i}/bias`, shape: [b.filters] });
      if (b.padding === 'valid') size = size - b.kernel + 1;
      size = Math.floor(size / Math.max(1, b.pool));
      ch = b.filters;
      if (size < 1) throw new RangeError(`conv block ${i} shrinks a ${c.inputSize}px input to nothing`);
    });
    this.flatSize = size * size * ch;
    this.specs.push({ name: 'dense/kernel', shape: [this.flatSize, c.dense] }, { name: 'dense/bias', shape: [c.dense] }, { name: 'out/kernel', shape: [c.dense, 1] }, { name: 'out/bias', shape: [1] });
  }

  private initParams() {
    const rand = mulberry32(this.config.seed);
    this.vars = this.specs.map((s) => {
      let values: Float32Array;
      if (s.name.endsWith('bias')) values = new Float32Array(s.shape[0]);
      else if (s.shape.length === 4) {
        const [kh, kw, cin, cout] = s.shape;
        values = glorot(rand, s.shape, kh * kw * cin, kh * kw * cout);
      } else values = glorot(rand, s.shape, s.shape[0], s.shape[1]);
      return this.tf.variable(this.tf.tensor(values, s.shape), true, undefined);
    });
  }

  get parameterCount(): number {
    return this.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  }

  /** Logits [n, 1]. Dropout only when `dropoutSeed` is given (training). */
  private forward(x: tfjs.Tensor4D, dropoutSeed?: number): tfjs.Tensor2D {
    return this.head(this.features(x), dropoutSeed);
  }

  /** The dense layer's activations [n, dense]: what the domain terms compare across domains. */
  private features(x: tfjs.Tensor4D): tfjs.Tensor2D {
    const tf = this.tf;
    const c = this.config;
    let h = x;
    c.convs.forEach((b, i) => {
      const k = this.vars[2 * i] as unknown as tfjs.Tensor4D;
      const bias = this.vars[2 * i + 1];
      const inp = b.padding === 'same' ? padSame(tf, h, b.kernel) : h;
      h = tf.relu(tf.add((i === 0 ? this.convFirst : this.conv)(inp, k), bias)) as tfjs.Tensor4D;
      h = pool(tf, h, b.pool, b.poolType, 'custom');
    });
    const nc = 2 * c.convs.length;
    const d = tf.reshape(h, [h.shape[0], this.flatSize]) as tfjs.Tensor2D;
    return tf.relu(tf.add(tf.matMul(d, this.vars[nc] as unknown as tfjs.Tensor2D), this.vars[nc + 1])) as tfjs.Tensor2D;
  }

  private head(features: tfjs.Tensor2D, dropoutSeed?: number): tfjs.Tensor2D {
    const tf = this.tf;
    const c = this.config;
    const nc = 2 * c.convs.length;
    let d = features;
    if (dropoutSeed !== undefined && c.dropout > 0) d = tf.dropout(d, c.dropout, undefined, dropoutSeed) as tfjs.Tensor2D;
    return tf.add(tf.matMul(d, this.vars[nc + 2] as unknown as tfjs.Tensor2D), this.vars[nc + 3]) as tfjs.Tensor2D;
  }

  private batchTensor(images: Float32Array, rows: ArrayLike<number>): tfjs.Tensor4D {
    const s = this.config.inputSize;
    const per = s * s * this.config.channels;
    const buf = new Float32Array(rows.length * per);
    for (let r = 0; r < rows.length; r++) buf.set(images.subarray(rows[r] * per, (rows[r] + 1) * per), r * per);
    return this.tf.tensor4d(buf, [rows.length, s, s, this.config.channels]);
  }

  private snapshot(): Float32Array[] {
    return this.vars.map((v) => v.dataSync() as Float32Array).map((a) => new Float32Array(a));
  }

  private restore(values: Float32Array[]) {
    values.forEach((v, i) => this.vars[i].assign(this.tf.tensor(v, this.specs[i].shape)));
  }

  /**
   * Trains on `images` (n x size x size x channels, row-major, flattened) with 0/1 `labels`.
   * A seeded validation split drives early stopping; the best epoch's weights are kept.
   */
  async fit(
    images: Float32Array,
    labels: ArrayLike<number>,
    opts: {
      onEpoch?: (log: EpochLog) => void;
      sampleWeight?: ArrayLike<number>;
      /** Held-out set for early stopping (e.g. other vehicles' days); replaces the internal split. */
      validation?: { images: Float32Array; labels: ArrayLike<number> };
      /** Overrides config.maxEpochs (a warm-started refit needs fewer). */
      maxEpochs?: number;
      /** Unlabelled target samples and a domain term (MMD or DANN) added to the loss of every batch. */
      domain?: DomainAdaptation;
    } = {},
  ): Promise<CnnFitResult> {
    const tf = this.tf;
    const c = this.config;
    const n = labels.length;
    const per = c.inputSize * c.inputSize * c.channels;
    if (images.length !== n * per) throw new RangeError(`images hold ${images.length / per} samples of ${c.inputSize}x${c.inputSize}x${c.channels}, labels ${n}`);
    if (n < 2) throw new RangeError('need at least 2 training images');
    const rand = mulberry32((c.seed ^ 0x5bd1e995) + this.fits++);
    const order = Array.from({ length: n }, (_, i) => i);
    shuffle(order, rand);
    const ext = opts.validation;
    const nVal = ext ? ext.labels.length : n >= 20 && c.validationSplit > 0 ? Math.max(1, Math.round(n * c.validationSplit)) : 0;
    const val = ext ? [] : order.slice(0, nVal);
    const train = ext ? order : order.slice(nVal);
    const maxEpochs = opts.maxEpochs ?? c.maxEpochs;
    const w = new Float32Array(n).fill(1);
    if (opts.sampleWeight) for (let i = 0; i < n; i++) w[i] = opts.sampleWeight[i];
    if (c.balanceClasses) {
      let pos = 0;
      let tw = 0;
      for (const i of train) {
        pos += labels[i] > 0.5 ? w[i] : 0;
        tw += w[i];
      }
      const neg = tw - pos;
      if (pos > 0 && neg > 0) for (let i = 0; i < n; i++) w[i] *= labels[i] > 0.5 ? tw / (2 * pos) : tw / (2 * neg);
    }
    const dom = opts.domain;
    const nTarget = dom ? dom.target.length / per : 0;
    if (dom && (!Number.isInteger(nTarget) || nTarget < 2)) throw new RangeError(`domain adaptation needs at least 2 target samples of ${c.inputSize}x${c.inputSize}x${c.channels}, got ${dom.target.length / per}`);
    // DANN's domain classifier: trained for this fit only, never saved
    const domVars: tfjs.Variable[] = [];
    if (dom?.method === 'dann') {
      const r = mulberry32(c.seed ^ 0xd0a1);
      domVars.push(tf.variable(tf.tensor(glorot(r, [c.dense, 1], c.dense, 1), [c.dense, 1])), tf.variable(tf.zeros([1])));
    }
    const reverse = dom?.method === 'dann' ? makeGradientReversal(tf) : null;
    let progress = 0;
    const domainLoss = (source: tfjs.Tensor2D, seed: number): tfjs.Scalar => {
      const tr = mulberry32(seed);
      const rows = Array.from({ length: source.shape[0] }, () => Math.floor(tr() * nTarget));
      const target = this.features(this.batchTensor(dom!.target, rows));
      if (dom!.method === 'mmd') return mkMmd(tf, source, target);
      const z = reverse!(tf.concat([source, target], 0) as tfjs.Tensor2D, tf.scalar(dannScale(progress)));
      const logit = tf.add(tf.matMul(z, domVars[0] as unknown as tfjs.Tensor2D), domVars[1]) as tfjs.Tensor2D;
      const y = tf.concat([tf.zeros([source.shape[0], 1]), tf.ones([target.shape[0], 1])], 0);
      return tf.losses.sigmoidCrossEntropy(y, logit) as tfjs.Scalar;
    };
    const optimizer = tf.train.adam(c.learningRate);
    const epochs: EpochLog[] = [];
    let best = Infinity;
    let bestEpoch = 0;
    let bestWeights = this.snapshot();
    let stale = 0;
    let stoppedEarly = false;
    const lossOn = (rows: number[], training: boolean, seed?: number) => {
      const x = this.batchTensor(images, rows);
      const y = tf.tensor2d(rows.map((r) => labels[r]), [rows.length, 1]);
      const sw = tf.tensor2d(rows.map((r) => w[r]), [rows.length, 1]);
      if (!(dom && training)) return tf.losses.sigmoidCrossEntropy(y, this.forward(x, training ? seed : undefined), sw) as tfjs.Scalar;
      const f = this.features(x);
      const cls = tf.losses.sigmoidCrossEntropy(y, this.head(f, seed), sw) as tfjs.Scalar;
      return tf.add(cls, tf.mul(dom.weight, domainLoss(f, (seed ?? 0) ^ 0x7a3d))) as tfjs.Scalar;
    };
    try {
      for (let epoch = 1; epoch <= maxEpochs; epoch++) {
        const t0 = performance.now();
        shuffle(train, rand);
        let sum = 0;
        for (let b = 0; b < train.length; b += c.batchSize) {
          const rows = train.slice(b, b + c.batchSize);
          const seed = Math.floor(rand() * 2 ** 31);
          progress = (epoch - 1 + b / train.length) / maxEpochs;
          const loss = tf.tidy(() => optimizer.minimize(() => lossOn(rows, true, seed), true, [...this.vars, ...domVars]) as tfjs.Scalar);
          sum += (await loss.data())[0] * rows.length;
          loss.dispose();
        }
        const secs = (performance.now() - t0) / 1000;
        let valLoss: number | null = null;
        if (ext && nVal) {
          const p = await this.predictProba(ext.images);
          let vs = 0;
          for (let i = 0; i < nVal; i++) {
            const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]));
            vs -= ext.labels[i] > 0.5 ? Math.log(q) : Math.log(1 - q);
          }
          valLoss = vs / nVal;
        } else if (nVal) {
          let vs = 0;
          for (let b = 0; b < val.length; b += 256) {
            const rows = val.slice(b, b + 256);
            const l = tf.tidy(() => lossOn(rows, false));
            vs += (await l.data())[0] * rows.length;
            l.dispose();
          }
          valLoss = vs / nVal;
        }
        const log = { epoch, loss: sum / train.length, valLoss, samplesPerSec: train.length / secs };
        epochs.push(log);
        opts.onEpoch?.(log);
        const monitored = valLoss ?? log.loss;
        if (monitored < best - 1e-4) {
          best = monitored;
          bestEpoch = epoch;
          bestWeights = this.snapshot();
          stale = 0;
        } else if (++stale >= c.patience) {
          stoppedEarly = true;
          break;
        }
      }
    } finally {
      optimizer.dispose();
      for (const v of domVars) v.dispose();
    }
    this.restore(bestWeights);
    return { epochs, bestEpoch, stoppedEarly };
  }

  /** P(class 1) per image. */
  async predictProba(images: Float32Array): Promise<Float32Array> {
    const c = this.config;
    const per = c.inputSize * c.inputSize * c.channels;
    const n = images.length / per;
    const out = new Float32Array(n);
    for (let b = 0; b < n; b += 512) {
      const rows = Array.from({ length: Math.min(512, n - b) }, (_, i) => b + i);
      const p = this.tf.tidy(() => this.tf.sigmoid(this.forward(this.batchTensor(images, rows))));
      out.set(await p.data(), b);
      p.dispose();
    }
    return out;
  }

  /** Gradients of the mean loss for one batch (tests compare backends and numerical derivatives). */
  gradients(images: Float32Array, labels: number[]): Float32Array[] {
    const tf = this.tf;
    const rows = labels.map((_, i) => i);
    const { grads } = tf.variableGrads(() => {
      const logits = this.forward(this.batchTensor(images, rows));
      return tf.losses.sigmoidCrossEntropy(tf.tensor2d(labels, [labels.length, 1]), logits) as tfjs.Scalar;
    }, this.vars);
    return this.vars.map((v) => {
      const g = grads[v.name];
      const a = new Float32Array(g.dataSync());
      g.dispose();
      return a;
    });
  }

  getWeights(): Float32Array[] {
    return this.snapshot();
  }

  setWeights(values: Float32Array[]): void {
    if (values.length !== this.specs.length) throw new RangeError(`expected ${this.specs.length} weight arrays, got ${values.length}`);
    values.forEach((v, i) => {
      const n = this.specs[i].shape.reduce((a, b) => a * b, 1);
      if (v.length !== n) throw new RangeError(`weights ${this.specs[i].name}: expected ${n} values, got ${v.length}`);
    });
    this.restore(values);
  }

  async save(dir: string, name = 'cnn'): Promise<void> {
    await writeWeightsFile(dir, name, this.config, this.specs, this.snapshot());
  }

  static async load(dir: string, name = 'cnn', backend?: BackendPreference): Promise<Cnn> {
    const file = await readWeightsFile(dir, name);
    const net = new Cnn(file.config);
    await net.init(backend);
    net.initParams();
    net.setWeights(file.values);
    return net;
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
    this.vars = [];
  }
}
