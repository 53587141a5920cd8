// Small seeded generators: every random choice in this package goes through one, so a seed fixes a model.

/** mulberry32: 32-bit state, fast, good enough for sampling and shuffling. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent 32-bit seed for stream `k` of a master seed (splitmix-style mixing). */
export function deriveSeed(seed: number, k: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Uniform integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** In-place Fisher-Yates shuffle. */
export function shuffle<T>(arr: T[] | Int32Array, rand: () => number): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = randInt(rand, i + 1);
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t as never;
  }
}

/** Standard normal via Box-Muller. */
export function gaussian(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
