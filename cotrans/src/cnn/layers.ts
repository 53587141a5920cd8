// Differentiable building blocks written with ops every backend has. The wasm backend has Conv2D but
// no Conv2DBackpropFilter kernel, so conv2dValid carries its own gradient, both parts as forward
// convolutions (XNNPACK-fast on wasm):
//   dW[i, j, ci, co] = sum_{n,y,x} X[n, y+i, x+j, ci] dY[n, y, x, co]
//                    = conv2d(X^T [ci, H, W, n], dY^T [oh, ow, n, co])^T  (batch as channels)
//   dX               = conv2d(pad(dY, k-1), rot180(W) with in/out channels swapped)
// Pooling is reshape + max/mean, whose gradients are built from elementwise ops.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './backend.js';

type T4 = tfjs.Tensor4D;

export function makeConv2dValid(tf: Tf, opts: { inputGrad?: boolean } = {}): (x: T4, w: T4) => T4 {
  // The first layer's input is data: its gradient is never used, so it can be skipped.
  const wantDx = opts.inputGrad ?? true;
  // customGrad's typing wants (...inputs) => ..., with the save function last
  const f = tf.customGrad(((...args: unknown[]) => {
    const x4 = args[0] as T4;
    const w4 = args[1] as T4;
    const save = args[2] as tfjs.GradSaveFunc;
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, 1, 'valid'),
      gradFunc: (dy: tfjs.Tensor, saved: tfjs.Tensor[]) => {
        const [xs, ws] = saved as [T4, T4];
        const dy4 = dy as T4;
        const [kh, kw] = ws.shape;
        // dW as one convolution: batch as channels. X^T [cin, H, W, n] convolved with dY^T as the
        // filter [oh, ow, n, cout] gives [cin, kh, kw, cout]. Measured on wasm (batch 64, 24x24):
        // 4-7 ms against ~30 ms for one matMul per kernel offset over slices.
        const dw = tf.transpose(tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]) as T4, tf.transpose(dy4, [1, 2, 0, 3]) as T4, 1, 'valid'), [1, 2, 0, 3]);
        if (!wantDx) return [tf.zerosLike(xs), dw];
        const flipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as T4;
        const dyPad = tf.pad(dy4, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
        const dx = tf.conv2d(dyPad, flipped, 1, 'valid');
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<Tf["customGrad"]>[0]);
  return f as unknown as (x: T4, w: T4) => T4;
}

/** 'same' (odd kernels) is an explicit zero pad before a valid convolution; pad's gradient is a slice. */
export function padSame(tf: Tf, x: T4, k: number): T4 {
  const lo = Math.floor((k - 1) / 2);
  const hi = k - 1 - lo;
  return lo + hi === 0 ? x : tf.pad(x, [[0, 0], [lo, hi], [lo, hi], [0, 0]]);
}

/**
 * Max pool with our gradient: the kernel forward, then dX = [X == up(Y)] * up(dY), with up() a
 * nearest-neighbour resize by the integer factor p. wasm's MaxPoolGrad is slower (measured 28 ms
 * against 12 ms for batch 64 x 24 x 24 x 8) and mis-routes all-negative windows; on our inputs
 * (after a ReLU) ties only occur at 0, where the ReLU's gradient is 0 anyway.
 */
export function makeMaxPool(tf: Tf, p: number): (x: T4) => T4 {
  const f = tf.customGrad(((...args: unknown[]) => {
    const x = args[0] as T4;
    const save = args[1] as tfjs.GradSaveFunc;
    const y = tf.maxPool(x, p, p, 'valid');
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tfjs.Tensor, saved: tfjs.Tensor[]) => {
        const [xs, ys] = saved as [T4, T4];
        const [n, h, w, c] = xs.shape;
        const [, oh, ow] = ys.shape;
        const ch = oh * p;
        const cw = ow * p;
        const xc = ch === h && cw === w ? xs : tf.slice(xs, [0, 0, 0, 0], [n, ch, cw, c]);
        const up = (t: tfjs.Tensor) => tf.image.resizeNearestNeighbor(t as T4, [ch, cw]);
        const g = tf.mul(tf.cast(tf.equal(xc, up(ys)), 'float32'), up(dy));
        return [ch === h && cw === w ? g : tf.pad(g, [[0, 0], [0, h - ch], [0, w - cw], [0, 0]])];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return f as unknown as (x: T4) => T4;
}

/**
 * Non-overlapping p x p pooling, VALID (remainder rows/columns dropped). Uses the backends' pool kernels
 * (wasm has MaxPool/AvgPool and their gradients); `reshape` does the same with reductions only.
 * wasm's MaxPoolGrad drops the gradient of windows whose values are all negative: use the kernel
 * max pool only on non-negative inputs (after a ReLU, as in Cnn), where it matches cpu exactly.
 */
export function pool(tf: Tf, x: T4, p: number, kind: 'max' | 'avg', impl: 'kernel' | 'reshape' | 'custom' = 'kernel'): T4 {
  if (p <= 1) return x;
  if (impl === 'custom' && kind === 'max') return makeMaxPool(tf, p)(x);
  if (impl === 'kernel') return kind === 'max' ? tf.maxPool(x, p, p, 'valid') : tf.avgPool(x, p, p, 'valid');
  const [n, h, w, c] = x.shape;
  const oh = Math.floor(h / p);
  const ow = Math.floor(w / p);
  const cropped = oh * p === h && ow * p === w ? x : tf.slice(x, [0, 0, 0, 0], [n, oh * p, ow * p, c]);
  // [n, oh, p, ow*p, c] -> reduce the row window, then [n, oh, ow, p, c] -> reduce the column window
  const rows = tf.reshape(cropped, [n, oh, p, ow * p, c]);
  const r1 = kind === 'max' ? tf.max(rows, 2) : tf.mean(rows, 2);
  const cols = tf.reshape(r1, [n, oh, ow, p, c]);
  return (kind === 'max' ? tf.max(cols, 3) : tf.mean(cols, 3)) as T4;
}
