// Timestamps as logs write them: epoch seconds, epoch milliseconds, or ISO 8601 with an offset.
// The reader's hot path reads them straight from a range of the decoded text: plain numbers and the
// common fixed ISO shape (YYYY-MM-DD[T ]hh:mm:ss[.f{1,3}](Z|±hh:mm)) without building a substring;
// anything else goes the general way (a regex, then Date.parse), so results never differ.
import { excerpt } from '@cotrans/core';
import { fastNumber } from './numbers.js';

/** Below this magnitude a number is epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
export const SECONDS_LIMIT = 1e11;
const NUMERIC = /^[+-]?\d+(\.\d+)?$/;
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export type NaiveTime = 'reject' | 'utc';

/** Epoch ms, or a reason. A time without an offset is rejected unless `naive` is 'utc'. */
export function parseTimestamp(raw: string, naive: NaiveTime = 'reject'): number | string {
  return parseTimestampAt(raw, 0, raw.length, naive);
}

/** parseTimestamp of `text.slice(start, end)`, without the slice on the common shapes. */
export function parseTimestampAt(text: string, start: number, end: number, naive: NaiveTime = 'reject'): number | string {
  const v = fastNumber(text, start, end);
  if (v === v) return Math.abs(v) < SECONDS_LIMIT ? Math.round(v * 1000) : Math.round(v);
  const iso = fastIso(text, start, end, naive === 'utc');
  if (iso === iso) return iso;
  return parseGeneral(text.slice(start, end), naive);
}

function parseGeneral(raw: string, naive: NaiveTime): number | string {
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

const digits2 = (t: string, i: number): number => {
  const a = t.charCodeAt(i) - 48;
  const b = t.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of the fixed common ISO shape, or NaN when the text has another shape or a field out of
 * the plain ranges (day past the month's end, 24:00, a year before 1000...): those go through
 * Date.parse, whose answer for them this need not reproduce.
 */
export function fastIso(t: string, s: number, e: number, naiveUtc: boolean): number {
  const len = e - s;
  if (len < 19) return NaN;
  const y1 = digits2(t, s);
  const y2 = digits2(t, s + 2);
  if (y1 < 10 || y2 < 0 || t.charCodeAt(s + 4) !== 45 || t.charCodeAt(s + 7) !== 45) return NaN;
  const sep = t.charCodeAt(s + 10);
  if ((sep !== 84 && sep !== 32) || t.charCodeAt(s + 13) !== 58 || t.charCodeAt(s + 16) !== 58) return NaN;
  const year = y1 * 100 + y2;
  const month = digits2(t, s + 5);
  const day = digits2(t, s + 8);
  const hour = digits2(t, s + 11);
  const min = digits2(t, s + 14);
  const sec = digits2(t, s + 17);
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59) return NaN;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return NaN;
  let i = s + 19;
  let ms = 0;
  if (i < e && t.charCodeAt(i) === 46) {
    let k = 0;
    i++;
    for (; i < e && k < 4; i++, k++) {
      const d = t.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      ms = ms * 10 + d;
    }
    if (k === 0 || k > 3) return NaN;
    ms *= k === 1 ? 100 : k === 2 ? 10 : 1;
  }
  let offsetMin: number;
  if (i === e) {
    if (!naiveUtc) return NaN; // the general path words the rejection
    offsetMin = 0;
  } else {
    const c = t.charCodeAt(i);
    if (c === 90 || c === 122) {
      if (i + 1 !== e) return NaN;
      offsetMin = 0;
    } else if ((c === 43 || c === 45) && e - i === 6 && t.charCodeAt(i + 3) === 58) {
      const oh = digits2(t, i + 1);
      const om = digits2(t, i + 4);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
      offsetMin = (c === 45 ? -1 : 1) * (oh * 60 + om);
    } else return NaN;
  }
  return Date.UTC(year, month - 1, day, hour, min, sec, ms) - offsetMin * 60_000;
}

const clip = (s: string): string => excerpt(s, 40);
