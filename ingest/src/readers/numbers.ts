// A decimal number read straight from a range of text, exactly as Number() reads it, on the shapes
// logs write: [-+]digits[.digits] with at most 15 significant digits. Then the digits form an integer
// below 2^53 and the power of ten is exact, so one division is correctly rounded, i.e. the same
// double as Number() (Clinger's fast path). Any other shape answers NaN and the caller takes the
// general way (trim, then decimal()), so nothing changes but speed. decimal() is Number() on
// decimal text only: Number() also reads "0x34", "0b11", "0o7" and "Infinity", which no GPS log
// means as coordinates, so those are not numbers here (the line is skipped, or stops --strict).

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MAX_DIGITS = 15;

/** The number in `t[s, e)`, or NaN when the range is not a plain decimal (then use Number()). */
export function fastNumber(t: string, s: number, e: number): number {
  const v = scanNumber(t, s, e);
  // a comma inside the range ends scanNumber's field early: not one plain decimal
  return scanEnd === e ? v : NaN;
}

/**
 * A field as the readers read numbers: absent (undefined) when empty or blank, else Number() of the
 * trimmed text (NaN when it is not a number, so validation names the field).
 */
export function numberAt(t: string, s: number, e: number): number | undefined {
  const v = fastNumber(t, s, e);
  return v === v ? v : generalNumber(t, s, e);
}

/** The general way of numberAt, kept apart so that the fast path stays small enough to inline. */
function generalNumber(t: string, s: number, e: number): number | undefined {
  const f = t.slice(s, e).trim();
  return f === '' ? undefined : decimal(f);
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Number() of trimmed decimal text ("12", "-1.5", ".5", "1e3"); NaN for any other shape. */
export function decimal(f: string): number {
  return DECIMAL.test(f) ? Number(f) : NaN;
}

/** Where the field read by the last successful scanNumber ends: its comma, or the line's end. */
export let scanEnd = 0;

/**
 * The plain decimal of the CSV field that starts at `s` on a line ending at `e`: digits up to the
 * next comma (then `scanEnd` is that comma) or the line's end. NaN when the field has another shape.
 */
export function scanNumber(t: string, s: number, e: number): number {
  let i = s;
  if (i >= e) return NaN;
  let c = t.charCodeAt(i);
  let neg = false;
  if (c === 45 || c === 43) {
    neg = c === 45;
    if (++i === e) return NaN;
  }
  let m = 0;
  let nd = 0;
  const intStart = i;
  for (; i < e; i++) {
    c = t.charCodeAt(i) - 48;
    if (c >>> 0 > 9) break;
    m = m * 10 + c;
    nd++;
  }
  if (i === intStart) return NaN;
  let frac = 0;
  if (i < e && c === 46 - 48) {
    const fracStart = ++i;
    for (; i < e; i++) {
      c = t.charCodeAt(i) - 48;
      if (c >>> 0 > 9) break;
      m = m * 10 + c;
      nd++;
    }
    frac = i - fracStart;
    if (frac === 0) return NaN;
  }
  if (i < e && t.charCodeAt(i) !== 44) return NaN;
  if (nd > MAX_DIGITS) return NaN;
  scanEnd = i;
  const v = frac === 0 ? m : m / POW10[frac];
  return neg ? -v : v;
}
