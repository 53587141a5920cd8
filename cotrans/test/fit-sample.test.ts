import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stratifiedSample } from '../src/fit-sample.js';

describe('stratified sample of a training set', () => {
  it('keeps every row, in order, up to the cap', () => {
    const y = [1, 0, 0, 1, 0];
    expect(stratifiedSample(y, 5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(stratifiedSample(y, Infinity, 1)).toEqual([0, 1, 2, 3, 4]);
  });

  it('draws exactly the cap, each class in proportion, the same rows for the same seed', () => {
    const y = Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const a = stratifiedSample(y, 100, 7);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect(a.filter((i) => y[i] === 1)).toHaveLength(20);
    expect(a).toEqual([...a].sort((p, q) => p - q));
    expect(stratifiedSample(y, 100, 7)).toEqual(a);
    expect(stratifiedSample(y, 100, 8)).not.toEqual(a);
  });

  it('keeps a class of one row when the cap is small', () => {
    const y = [1, ...Array.from({ length: 99 }, () => 0)];
    const s = stratifiedSample(y, 10, 3);
    expect(s).toHaveLength(10);
    expect(s).toContain(0);
  });

  it('never repeats a row, never invents one, and holds min(n, cap) rows (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 300 }), fc.integer({ min: 1, max: 400 }), fc.integer(), (y, cap, seed) => {
        const s = stratifiedSample(y, cap, seed);
        expect(s).toHaveLength(Math.min(y.length, cap));
        expect(new Set(s).size).toBe(s.length);
        for (const i of s) expect(i >= 0 && i < y.length).toBe(true);
        // a class present in the set is present in the sample whenever the cap allows both
        if (cap >= 2 && y.length > cap) for (const c of new Set(y)) expect(s.some((i) => y[i] === c)).toBe(true);
      }),
    );
  });

  it('refuses a cap below one', () => {
    expect(() => stratifiedSample([0, 1], 0, 1)).toThrow(/cap: 0/);
  });
});
