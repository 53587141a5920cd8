// What a message quotes from the input is cut and escaped: a 200 MB line or a binary file must
// not end up in the terminal, and control bytes must not move the cursor or ring the bell.

/** Default number of characters of the input a message quotes. */
export const EXCERPT_CHARS = 60;
/** A message the CLI prints for a user error is shorter than this. */
export const MESSAGE_CHARS = 300;

// C0/C1 controls, DEL, lone surrogates, the replacement character (bytes that were not UTF-8),
// and the line/paragraph separators: each shown as an escape. (Matching control characters is the point.)
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const escapeChar = (c: string): string => {
  if (c === '\\') return '\\\\';
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** True when `s` holds a control character (C0, DEL, C1, line/paragraph separator). */
export function hasControl(s: string): boolean {
  return CONTROL.test(s);
}

/**
 * At most `max` characters of `s` as shown (escapes count at their shown length; then
 * "… (N chars)"), control and binary bytes escaped.
 */
export function excerpt(s: string, max = EXCERPT_CHARS): string {
  // only the head can be shown: escape at most `max` characters of it
  let head = s.length > max ? s.slice(0, max) : s;
  if (head.length < s.length && /[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1); // never half a pair
  let safe = head.replace(UNSAFE, escapeChar);
  let cut = head.length < s.length;
  if (safe.length > max) {
    cut = true;
    // cut at an escape's start, not inside one
    const esc = safe.lastIndexOf('\\', max);
    safe = safe.slice(0, esc > max - 6 ? esc : max);
  }
  return cut ? `${safe}… (${s.length} chars)` : safe;
}

/** A message as one line shorter than `max` characters: line breaks become spaces, controls escaped. */
export function oneLine(message: string, max = MESSAGE_CHARS): string {
  const flat = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const safe = flat.replace(UNSAFE, (c) => (c === '\\' ? c : escapeChar(c)));
  return safe.length >= max ? `${safe.slice(0, max - 2)}…` : safe;
}
