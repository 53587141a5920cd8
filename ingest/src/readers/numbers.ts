// A decimal number read straight from a range of text, exactly as Number() reads it, on the shapes
// logs write: [-+]digits[.digits] with at most 15 significant digits. Then the digits form an integer
// below 2^53 and the power of ten is exact, so one division is correctly rounded, i.e. the same
// double as Number() (Clinger's fast path). Any other shape answers NaN and the caller takes the
// general way (trim + Number), so nothing changes but speed.

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MAX_DIGITS = 15;

/** The number in `t[s, e)`, or NaN when the range is not a plain decimal (then use Number()). */
export function fastNumber(t: string, s: number, e: number): number {
  if (s >= e) return NaN;
  let i = s;
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
    if (c < 0 || c > 9) break;
    m = m * 10 + c;
    nd++;
  }
  if (i === intStart) return NaN; // ".5", "-", "abc": the general way
  let frac = 0;
  if (i < e) {
    if (t.charCodeAt(i) !== 46) return NaN;
    const fracStart = ++i;
    for (; i < e; i++) {
      c = t.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      m = m * 10 + c;
      nd++;
    }
    frac = i - fracStart;
    if (frac === 0) return NaN; // "5." is Number's 5, but NUMERIC timestamps reject it
  }
  if (nd > MAX_DIGITS) return NaN;
  const v = frac === 0 ? m : m / POW10[frac];
  return neg ? -v : v;
}

/**
 * A field as the readers read numbers: absent (undefined) when empty or blank, else Number() of the
 * trimmed text (NaN when it is not a number, so validation names the field).
 */
export function numberAt(t: string, s: number, e: number): number | undefined {
  const v = fastNumber(t, s, e);
  if (v === v) return v;
  const f = t.slice(s, e).trim();
  return f === '' ? undefined : Number(f);
}
