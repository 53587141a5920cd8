// sortedMapViews finds neighbours in the sorted cells (next/previous entry, two forward pointers)
// instead of a Set: its views must hold exactly the cells of the Set definitions.
import { expect, test } from 'vitest';
import { laplacianCells, pooledCells, sortedCells, sortedMapViews, sortedUnion } from '@cotrans/features';
import { rng } from './synth.js';

const cell = (cx: number, cy: number) => (cx + 16384) * 32768 + (cy + 16384);
const sorted = (a: Iterable<number>) => Array.from(a).sort((x, y) => x - y);

test('sortedMapViews holds the cells of laplacianCells and pooledCells; sortedUnion the union', () => {
  const g = rng(11);
  for (let t = 0; t < 60; t++) {
    // dense blobs and sparse scatter, negative cells and the grid's far edges included
    const spread = t % 3 === 0 ? 4 : t % 3 === 1 ? 12 : 40;
    const edge = t % 5 === 0 ? 16380 : 0;
    const maps = [0, 1, 2, 3].map(() => new Set(Array.from({ length: Math.floor(g() * 80) }, () => cell(Math.floor(g() * spread) - spread / 2 + edge, Math.floor(g() * spread) - spread / 2 - edge))));
    const union = new Set(maps.flatMap((m) => [...m]));
    const all = sortedUnion(maps);
    expect(Array.from(all)).toEqual(sorted(union));
    const v = sortedMapViews(all);
    expect(Array.from(v.raw)).toEqual(sorted(union));
    expect(Array.from(v.lap)).toEqual(sorted(laplacianCells(union)));
    expect(Array.from(v.pool)).toEqual(sorted(pooledCells(union)));
    expect(Array.from(sortedMapViews(sortedCells(maps[0])).lap)).toEqual(sorted(laplacianCells(maps[0])));
  }
  expect(sortedMapViews(new Int32Array(0)).lap.length).toBe(0);
});
