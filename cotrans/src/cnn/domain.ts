// Deep domain adaptation terms for the CNN, after the transfer methods the CoTrans seed deck cites:
//   - DDC/DAN: a (multi-kernel) MMD penalty between the source's and the target's dense activations
//     (Tzeng et al. 2014; Long et al. 2015);
//   - DANN: a domain classifier on the dense activations behind a gradient-reversal layer, so the
//     features learn to fool it (Ganin et al. 2016).
// Both train on labelled source images and unlabelled target images.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './backend.js';

export type DomainMethod = 'mmd' | 'dann';
export const DOMAIN_METHODS: readonly DomainMethod[] = ['mmd', 'dann'];

export interface DomainAdaptation {
  method: DomainMethod;
  /** Unlabelled target samples, flattened like the training images. */
  target: Float32Array;
  /** Weight of the domain term against the classification loss (1). */
  weight: number;
}

/** Kernel widths of the multi-kernel MMD, as multiples of the batch's mean squared distance. */
export const MMD_BANDWIDTHS = [0.25, 0.5, 1, 2, 4];

/**
 * Multi-kernel MMD² (biased estimate) between two batches of row vectors: the sum over Gaussian
 * kernels whose widths are MMD_BANDWIDTHS times the joint batch's mean squared distance (a
 * constant of the gradient).
 */
export function mkMmd(tf: Tf, a: tfjs.Tensor2D, b: tfjs.Tensor2D): tfjs.Scalar {
  return tf.tidy(() => {
    const x = tf.concat([a, b], 0);
    const sq = tf.sum(tf.square(x), 1, true);
    // squared distances |xi|^2 + |xj|^2 - 2 xi.xj, floored at 0 against rounding
    const d2 = tf.relu(tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, tf.matMul(x, x, false, true))));
    const n = x.shape[0];
    // read out, so the widths are constants of the gradient
    const base = Math.max((tf.sum(d2).dataSync() as Float32Array)[0] / Math.max(1, n * n - n), 1e-6);
    let k = tf.zerosLike(d2);
    for (const m of MMD_BANDWIDTHS) k = tf.add(k, tf.exp(tf.div(d2, -base * m)));
    const na = a.shape[0];
    const nb = b.shape[0];
    const kaa = tf.mean(tf.slice(k, [0, 0], [na, na]));
    const kbb = tf.mean(tf.slice(k, [na, na], [nb, nb]));
    const kab = tf.mean(tf.slice(k, [0, na], [na, nb]));
    return tf.add(tf.sub(kaa, tf.mul(2, kab)), kbb) as tfjs.Scalar;
  });
}

/** Identity forward; the gradient is multiplied by -scale (scale: a scalar tensor, no gradient). */
export function makeGradientReversal(tf: Tf): (x: tfjs.Tensor2D, scale: tfjs.Scalar) => tfjs.Tensor2D {
  const f = tf.customGrad(((...args: unknown[]) => {
    const x = args[0] as tfjs.Tensor2D;
    const s = args[1] as tfjs.Scalar;
    const save = args[2] as tfjs.GradSaveFunc;
    save([s]);
    return {
      value: tf.clone(x),
      gradFunc: (dy: tfjs.Tensor, saved: tfjs.Tensor[]) => [tf.neg(tf.mul(dy, saved[0])), tf.zerosLike(saved[0])],
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return f as unknown as (x: tfjs.Tensor2D, scale: tfjs.Scalar) => tfjs.Tensor2D;
}

/** DANN's schedule of the reversal's scale over training progress p in [0, 1]: 2 / (1 + e^(-10p)) - 1. */
export function dannScale(p: number): number {
  return 2 / (1 + Math.exp(-10 * Math.min(1, Math.max(0, p)))) - 1;
}
