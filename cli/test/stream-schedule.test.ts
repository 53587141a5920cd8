// The stream's scoring rules on event time: debounce, local midnight, stale and aged out.
import { describe, expect, it } from 'vitest';
import { clockFor } from '@cotrans/features';
import { ageing, isDue, newVehicleState, touched, type Schedule } from '../src/stream/schedule.js';

const clock = clockFor('Europe/Berlin');
const sc: Schedule = { debounceMs: 15 * 60_000, staleMs: 24 * 3_600_000, windowDays: 7, dayOf: (t) => clock.dayOf(t), dayStart: () => 0 };
const t0 = Date.parse('2026-05-04T08:00:00+02:00');
const min = 60_000;

describe('stream schedule', () => {
  it('a changed vehicle is due once its fixes moved on by the debounce since the first unscored change', () => {
    const s = touched(newVehicleState(), t0, t0 + 5 * min);
    expect(isDue(s, sc)).toBe(false);
    expect(isDue(touched(s, t0 + 6 * min, t0 + 14 * min), sc)).toBe(false);
    expect(isDue(touched(s, t0 + 6 * min, t0 + 15 * min), sc)).toBe(true);
    expect(isDue({ ...touched(s, t0, t0 + 20 * min), dirtySince: -1 }, sc)).toBe(false); // nothing waiting
  });

  it('crossing a local midnight since the last scoring makes it due at once', () => {
    const lateEvening = Date.parse('2026-05-04T23:55:00+02:00');
    const scored = { ...newVehicleState(), lastTs: lateEvening, scoredTs: lateEvening };
    expect(isDue(touched(scored, lateEvening + 2 * min, lateEvening + 4 * min), sc)).toBe(false);
    // 00:01 local is still 22:01 UTC of the same UTC day: the local zone decides
    expect(isDue(touched(scored, lateEvening + 6 * min, lateEvening + 6 * min), sc)).toBe(true);
  });

  it('the partition watermark makes a silent vehicle stale, then aged out once none of its days is in the window', () => {
    const s = touched(newVehicleState(), t0, t0);
    expect(ageing(s, t0 + 23 * 3_600_000, sc)).toBeUndefined();
    expect(ageing(s, t0 + 24 * 3_600_000, sc)).toBe('stale');
    const stale = { ...s, stale: true };
    expect(ageing(stale, t0 + 3 * 86_400_000, sc)).toBeUndefined();
    // t0 is on 2026-05-04; a watermark on 2026-05-10 still holds that day in its 7 days, on 05-11 not
    expect(ageing(stale, Date.parse('2026-05-10T23:00:00+02:00'), sc)).toBeUndefined();
    expect(ageing(stale, Date.parse('2026-05-11T00:30:00+02:00'), sc)).toBe('aged-out');
    expect(ageing({ ...stale, agedOut: true }, Date.parse('2026-05-20T00:00:00+02:00'), sc)).toBeUndefined();
    // new fixes clear both
    expect(touched({ ...stale, agedOut: true }, t0 + 8 * 86_400_000, t0 + 8 * 86_400_000)).toMatchObject({ stale: false, agedOut: false });
  });
});
