import { describe, expect, it } from 'vitest';
import { buildTrack, findStops } from '@cotrans/dashboard';

const MIN = 60_000;
describe('tracks for the map', () => {
  it('finds a 20-minute dwell as a stop and passes over a 5-minute one and a drive', () => {
    const ts: number[] = [], lat: number[] = [], lon: number[] = [];
    const add = (t: number, a: number, o: number) => { ts.push(t); lat.push(a); lon.push(o); };
    // drive east 1 km a minute for 10 minutes, dwell 20 min (jitter ~20 m), drive, dwell 5 min
    for (let i = 0; i < 10; i++) add(i * MIN, 52.5, 13.4 + i * 0.015);
    for (let i = 0; i <= 20; i++) add((10 + i) * MIN, 52.5 + (i % 2) * 0.0002, 13.55);
    for (let i = 1; i < 10; i++) add((30 + i) * MIN, 52.5, 13.55 + i * 0.015);
    for (let i = 0; i <= 5; i++) add((40 + i) * MIN, 52.5, 13.7);
    const stops = findStops(ts, lat, lon);
    expect(stops).toHaveLength(1);
    expect(stops[0].start).toBe(10 * MIN);
    expect(stops[0].end).toBe(30 * MIN);
    expect(stops[0].lon).toBeCloseTo(13.55, 6);
  });

  it('splits days in the time zone, keeps time order and thins to the limit', () => {
    const t0 = Date.UTC(2026, 2, 1, 22, 30); // 23:30 in Berlin: the next fixes fall on 2 March there
    const ts = Array.from({ length: 5000 }, (_, i) => t0 + i * 30_000);
    const track = buildTrack([...ts].reverse(), ts.map(() => 52.5), ts.map((_, i) => 13.4 + i * 1e-5), 'Europe/Berlin', 1000);
    expect(track.points).toBe(5000);
    expect(track.days.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    const pts = track.days.flatMap((d) => d.points);
    expect(pts).toHaveLength(1000);
    for (let i = 1; i < pts.length; i++) expect(pts[i][2]).toBeGreaterThan(pts[i - 1][2]);
  });
});
