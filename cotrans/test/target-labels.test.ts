import { describe, expect, it } from 'vitest';
import { seedsWithTargetLabels } from '@cotrans/cotrans';

describe('seedsWithTargetLabels', () => {
  it('puts given labels in as full-confidence seeds, turning round a stage-1 seed and counting the unmatched', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const stage1 = [{ index: 0, shared: true, confidence: 0.9 }, { index: 2, shared: false, confidence: 0.7 }];
    const { seeds, use } = seedsWithTargetLabels(stage1, ids, [
      { vehicleId: 'c', shared: true },
      { vehicleId: 'd', shared: false },
      { vehicleId: 'zz', shared: true },
    ]);
    expect(seeds).toEqual([
      { index: 0, shared: true, confidence: 0.9 },
      { index: 2, shared: true, confidence: 1 },
      { index: 3, shared: false, confidence: 1 },
    ]);
    expect(use).toEqual({ given: 3, used: 2, shared: 1, overturned: 1, unmatched: 1 });
  });

  it('a label that agrees with its seed keeps one seed, now certain', () => {
    const { seeds, use } = seedsWithTargetLabels([{ index: 1, shared: false, confidence: 0.6 }], ['a', 'b'], [{ vehicleId: 'b', shared: false }]);
    expect(seeds).toEqual([{ index: 1, shared: false, confidence: 1 }]);
    expect(use.overturned).toBe(0);
  });
});
