import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { fastNumber, scanEnd, scanNumber } from '../src/readers/numbers.js';

const plain = fc
  .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^\d{1,8}$/), fc.option(fc.stringMatching(/^\d{1,7}$/), { nil: undefined }))
  .map(([sign, int, frac]) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}`);

describe('fastNumber and scanNumber', () => {
  test('a plain decimal reads as Number() reads it, inside a longer line too', () => {
    fc.assert(
      fc.property(plain, fc.string({ maxLength: 4 }), (f, tail) => {
        const line = `x,${f},${tail}`;
        expect(fastNumber(line, 2, 2 + f.length)).toBe(Number(f));
        expect(scanNumber(line, 2, line.length)).toBe(Number(f));
        expect(scanEnd).toBe(2 + f.length);
      }),
    );
  });

  test('other shapes answer NaN, so the caller takes the general way', () => {
    for (const f of ['', '-', '.5', '5.', '1e3', '0x1f', 'Infinity', ' 1', '1 ', '12,5', '1234567890123456']) {
      expect(fastNumber(f, 0, f.length), f).toBeNaN();
    }
    // a field that ends at a comma is scanNumber's; it is not one plain decimal for fastNumber
    expect(scanNumber('12,5', 0, 4)).toBe(12);
    expect(scanEnd).toBe(2);
    expect(scanNumber('12x,5', 0, 5)).toBeNaN();
  });
});
