import { describe, expect, test } from 'vitest';
import { decodeMessage, validatePoint, parseTimestamp } from '@cotrans/ingest';

const now = Date.UTC(2026, 5, 1);
const good = { vehicleId: 'car-1', ts: now - 1000, lat: 52.5, lon: 13.4 };

describe('validatePoint', () => {
  test('accepts a point and keeps optional fields only when present', () => {
    const r = validatePoint({ ...good, speedKmh: 12.5, heading: 359.9, extra: 'ignored' }, '', { now });
    expect(r).toEqual({ ok: true, value: { ...good, speedKmh: 12.5, heading: 359.9 } });
    expect(validatePoint({ ...good, speedKmh: null }, '', { now })).toEqual({ ok: true, value: good });
  });
  test.each([
    [{ ...good, vehicleId: '' }, 'vehicleId is empty'],
    [{ ...good, vehicleId: 'x'.repeat(129) }, 'longer than 128'],
    [{ ...good, vehicleId: 7 }, 'vehicleId must be a string'],
    [{ ...good, ts: '2026-01-01' }, 'ts must be a number'],
    [{ ...good, ts: 1_700_000_000 }, 'before 1990'],
    [{ ...good, ts: now + 25 * 3600_000 }, 'in the future'],
    [{ ...good, lat: 90.0001 }, 'lat 90.0001 out of range'],
    [{ ...good, lat: NaN }, 'lat is not a finite number'],
    [{ ...good, lon: -180.5 }, 'lon -180.5 out of range'],
    [{ ...good, lon: 'NaN' }, 'lon must be a number'],
    [{ ...good, speedKmh: -1 }, 'speedKmh -1 is negative'],
    [{ ...good, heading: 360 }, 'heading 360 out of range'],
    [[good], 'must be a JSON object'],
  ])('rejects %j', (raw, reason) => {
    const r = validatePoint(raw, 'here', { now });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(reason);
      expect(r.reason.startsWith('here: ')).toBe(true);
    }
  });
  test('a point 23 h ahead is fine (clock skew within a day)', () => {
    expect(validatePoint({ ...good, ts: now + 23 * 3600_000 }, '', { now }).ok).toBe(true);
  });
});

describe('decodeMessage', () => {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
  test('one point or an array of one vehicle', () => {
    expect(decodeMessage('car-1', enc(good), { now })).toEqual({ points: [good], reasons: [], rejected: [], unreadable: false, rejectedPoints: 0 });
    const b = decodeMessage('car-1', enc([good, { ...good, ts: good.ts + 1 }]), { now });
    expect(b.points).toHaveLength(2);
    expect(b.reasons).toEqual([]);
  });
  test('records carry only GpsPoint fields: extras and nulls are dropped', () => {
    const d = decodeMessage('car-1', enc([{ ...good, note: 'x', speedKmh: null }, { ...good, ts: good.ts + 1, heading: 5 }]), { now });
    expect(d.points).toEqual([good, { ...good, ts: good.ts + 1, heading: 5 }]);
    expect(Object.keys(d.points[0]).sort()).toEqual(['lat', 'lon', 'ts', 'vehicleId']);
  });
  test('unreadable messages say why', () => {
    expect(decodeMessage('car-1', Buffer.from('{nope'), { now }).reasons[0]).toMatch(/^not JSON/);
    expect(decodeMessage(null, enc(good), { now }).reasons[0]).toMatch(/missing message key/);
    expect(decodeMessage('car-1', Buffer.alloc(0), { now }).reasons[0]).toMatch(/empty message value/);
    expect(decodeMessage('car-1', enc([]), { now }).reasons[0]).toMatch(/empty array/);
    const m = decodeMessage('car-2', enc(good), { now });
    expect(m.unreadable).toBe(true);
    expect(m.reasons[0]).toMatch(/does not match the message key 'car-2'/);
  });
  test('a partly bad batch keeps its good points and names the bad ones by index', () => {
    const d = decodeMessage('car-1', enc([good, { ...good, lat: 100 }, { ...good, vehicleId: 'car-9' }, { ...good, ts: good.ts + 5 }]), { now });
    expect(d.points).toHaveLength(2);
    expect(d.rejected).toEqual([1, 2]);
    expect(d.unreadable).toBe(false);
    expect(d.reasons[0]).toMatch(/^point 1: lat 100 out of range/);
    expect(d.rejectedPoints).toBe(2);
  });
  test('a message whose points are all bad counts each of them, not one', () => {
    const d = decodeMessage('car-1', enc(Array.from({ length: 500 }, (_, i) => ({ ...good, ts: good.ts + i, lat: 91 }))), { now });
    expect(d.unreadable).toBe(true);
    expect(d.points).toEqual([]);
    expect(d.rejectedPoints).toBe(500);
    expect(decodeMessage('car-1', Buffer.from('{nope'), { now }).rejectedPoints).toBe(1);
  });
  test('reasons neither echo a long or binary value nor accept control characters in ids', () => {
    const huge = decodeMessage('car-1', Buffer.from(`{"vehicleId":"${'x'.repeat(100_000)}\u0007`), { now });
    expect(huge.reasons[0].length).toBeLessThan(200);
    const bell = decodeMessage('car\u0007', enc({ ...good, vehicleId: 'car\u0007' }), { now });
    expect(bell.reasons[0]).toMatch(/control character/);
    expect(bell.reasons[0]).not.toContain('\u0007');
  });
});

describe('parseTimestamp', () => {
  test('epoch seconds, epoch ms, ISO with offset', () => {
    expect(parseTimestamp('1211785269')).toBe(1211785269000);
    expect(parseTimestamp('1211785269.5')).toBe(1211785269500);
    expect(parseTimestamp('1211785269000')).toBe(1211785269000);
    expect(parseTimestamp('2008-05-26T07:01:09Z')).toBe(1211785269000);
    expect(parseTimestamp('2008-05-26T09:01:09+02:00')).toBe(1211785269000);
    expect(parseTimestamp('2008-05-26 15:01:09+0800')).toBe(1211785269000);
    expect(parseTimestamp('2008-05-26T07:01:09.250Z')).toBe(1211785269250);
  });
  test('a time without offset is rejected unless read as UTC', () => {
    expect(parseTimestamp('2008-05-26 07:01:09')).toMatch(/no UTC offset/);
    expect(parseTimestamp('2008-05-26 07:01:09', 'utc')).toBe(1211785269000);
    expect(parseTimestamp('yesterday')).toMatch(/unreadable timestamp 'yesterday'/);
  });
});
