import { describe, expect, it } from 'vitest';
import { RandomForestClassifier, mulberry32, pathAttribution } from '@cotrans/cotrans';

describe('pathAttribution', () => {
  it('bias plus the credits is the forest\'s P(shared) for each row, and the informative feature carries the credit', async () => {
    const r = mulberry32(7);
    const X: number[][] = [];
    const y: string[] = [];
    for (let i = 0; i < 300; i++) {
      const signal = r();
      X.push([signal, r(), r()]);
      y.push(signal > 0.5 ? 'shared' : 'private');
    }
    const rf = await new RandomForestClassifier({ nEstimators: 30, seed: 1, nJobs: 1 }).fit(X, y);
    const rows = [[0.9, 0.5, 0.5], [0.1, 0.2, 0.8], [0.55, 0.9, 0.1], [NaN, 0.3, 0.3]];
    const p = rf.probaOf(rows, 'shared');
    rows.forEach((x, i) => {
      const a = pathAttribution(rf, x);
      expect(a.p).toBeCloseTo(p[i], 10);
      expect(a.bias + a.contributions.reduce((s, c) => s + c, 0)).toBeCloseTo(p[i], 10);
    });
    const sure = pathAttribution(rf, rows[0]);
    expect(sure.contributions[0]).toBeGreaterThan(0.3);
    expect(Math.abs(sure.contributions[0])).toBeGreaterThan(Math.abs(sure.contributions[1]) + Math.abs(sure.contributions[2]));
    expect(pathAttribution(rf, rows[1]).contributions[0]).toBeLessThan(-0.3);
  });
});
