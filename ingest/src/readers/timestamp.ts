// Timestamps as logs write them: epoch seconds, epoch milliseconds, or ISO 8601 with an offset.

/** Below this magnitude a number is epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_LIMIT = 1e11;
const NUMERIC = /^[+-]?\d+(\.\d+)?$/;
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export type NaiveTime = 'reject' | 'utc';

/** Epoch ms, or a reason. A time without an offset is rejected unless `naive` is 'utc'. */
export function parseTimestamp(raw: string, naive: NaiveTime = 'reject'): number | string {
  const s = raw.trim();
  if (s === '') return 'empty timestamp';
  if (NUMERIC.test(s)) {
    const v = Number(s);
    return Math.abs(v) < SECONDS_LIMIT ? Math.round(v * 1000) : Math.round(v);
  }
  const m = ISO.exec(s);
  if (!m) return `unreadable timestamp '${clip(s)}' (expected epoch seconds, epoch ms or ISO 8601 with offset)`;
  let offset = m[3];
  if (!offset) {
    if (naive !== 'utc') return `timestamp '${clip(s)}' has no UTC offset (write Z or +hh:mm, or read with naive times as UTC)`;
    offset = 'Z';
  } else if (/^[+-]\d{2}$/.test(offset)) offset += ':00';
  else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${offset.toUpperCase()}`);
  return Number.isFinite(ms) ? ms : `invalid date '${clip(s)}'`;
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
