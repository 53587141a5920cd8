// Seeded samples for tests of statistics and cuts.
import { gaussian, mulberry32 } from '@cotrans/core';

/** Values from a mixture of normal groups [count, mean, sd], in group order, from seed `seed`. */
export function seededSample(seed: number, groups: readonly (readonly [n: number, mean: number, sd: number])[]): number[] {
  const r = mulberry32(seed);
  return groups.flatMap(([n, m, s]) => Array.from({ length: n }, () => m + s * gaussian(r)));
}
