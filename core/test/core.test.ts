import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UserError, isUserError, excerpt, oneLine, csvRow, splitCsvLine, MESSAGE_CHARS } from '@cotrans/core';

describe('UserError', () => {
  it('names its place first and keeps it as data', () => {
    const e = UserError.at({ file: 'a.csv', line: 3, field: 'lat' }, 'lat 95 out of range');
    expect(e.message).toBe('a.csv:3 field lat: lat 95 out of range');
    expect(e.where).toEqual({ file: 'a.csv', line: 3, field: 'lat' });
    expect(e.exitCode).toBe(1);
    expect(UserError.at({ topic: 'gps', partition: 2, offset: '17' }, 'not JSON').message).toBe('gps/2@17: not JSON');
    expect(UserError.at({ option: 'host' }, 'bad').message).toBe('--host: bad');
  });

  it('tells user errors from bugs', () => {
    expect(isUserError(new UserError('x'))).toBe(true);
    expect(isUserError(Object.assign(new Error('x'), { exitCode: 1 }))).toBe(true);
    expect(isUserError(new TypeError('x'))).toBe(false);
    expect(isUserError('x')).toBe(false);
  });
});

describe('excerpt and oneLine', () => {
  it('cuts a huge input and says how long it was', () => {
    const s = excerpt('x'.repeat(5_000_000));
    expect(s.length).toBeLessThan(100);
    expect(s).toContain('(5000000 chars)');
  });

  it('escapes control bytes and bytes that were not UTF-8', () => {
    const bin = Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0xff, 0x00, 0x41]).toString('utf8');
    expect(excerpt(bin)).toBe('\\x1b[2J\\x07\\ufffd\\x00A');
    expect(excerpt('Zürich 北京')).toBe('Zürich 北京');
  });

  it('any message becomes one printable line of bounded length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => {
        const l = oneLine(s);
        expect(l.length).toBeLessThan(MESSAGE_CHARS);
        expect([...l].every((c) => c.charCodeAt(0) >= 0x20 && !(c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))).toBe(true);
      }),
    );
  });
});

describe('CSV cells', () => {
  it('round-trips any cells that hold no line break', () => {
    const cell = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\r\n]/.test(s));
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        expect(splitCsvLine(csvRow(cells))).toEqual(cells);
      }),
      { numRuns: 500 },
    );
  });

  it('quotes a vehicle id with a comma, a quote or edge spaces', () => {
    expect(csvRow(['a,b', 'say "hi"', ' x', 'plain'])).toBe('"a,b","say ""hi"""," x",plain');
    expect(splitCsvLine('"open,quote')).toBeNull();
    // trim: unquoted cells lose their padding, quoted ones keep what the quotes hold
    expect(splitCsvLine(' a , "b ", c,"x,y" ', { trim: true })).toEqual(['a', 'b ', 'c', 'x,y']);
  });
});
