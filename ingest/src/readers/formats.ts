// One parser per log format. A parser turns one line into a point, a reason (a bad line), or null
// (a line that carries no point: blank, header, GeoLife preamble). Per-file state lives in the parser.
import { basename, dirname, sep } from 'node:path';
import type { GpsPoint } from '../point.js';
import { makePoint, pointProblem, type ValidateOptions } from '../validate.js';
import { UserError, excerpt, jsonErrorReason, splitCsvLine } from '@cotrans/core';
import { parseTimestamp, parseTimestampAt, SECONDS_LIMIT, type NaiveTime } from './timestamp.js';
import { decimal, numberAt, scanNumber, scanEnd } from './numbers.js';

export type LogFormat = 'auto' | 'csv' | 'jsonl' | 'geolife' | 'cabspotting' | 'tdrive';
export type ConcreteFormat = Exclude<LogFormat, 'auto'>;
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'csv', 'jsonl', 'geolife', 'cabspotting', 'tdrive'];

export type LineResult = GpsPoint | string | null;
/**
 * Parses the line `text.slice(start, end)` (terminator excluded). Parsers read the fields in place
 * where they can: the hot formats allocate nothing per line but the point and its vehicle id.
 */
export type LineParser = (text: string, start: number, end: number, lineNo: number) => LineResult;

/** A parser written against a line string (the formats where speed matters less). */
const byLine =
  (parse: (line: string, lineNo: number) => LineResult): LineParser =>
  (text, start, end, lineNo) =>
    parse(text.slice(start, end), lineNo);

/** True when `text[start, end)` is blank as String.prototype.trim sees it. */
function isBlank(text: string, start: number, end: number): boolean {
  if (start === end) return true;
  const c = text.charCodeAt(start);
  // a printable ASCII first character settles it without a substring
  if (c > 32 && c < 127) return false;
  return text.slice(start, end).trim() === '';
}

export interface ParserOptions extends ValidateOptions {
  naiveTime?: NaiveTime;
}

/** The number in a text field, or NaN (so validation names the field). Empty means absent. */
function numField(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === '') return undefined;
  return decimal(t);
}

function point(vehicleId: string, ts: number | string, lat: unknown, lon: unknown, speed: unknown, heading: unknown, opts: ParserOptions): GpsPoint | string {
  if (typeof ts === 'string') return ts;
  const problem = pointProblem(vehicleId, ts, lat, lon, speed, heading, opts);
  if (problem) return problem;
  // The records makePoint builds, each shape from one literal (no property added later): fewer
  // hidden-class transitions on the hot path, and one shape per log for the stages downstream.
  const hasSpeed = speed !== undefined && speed !== null;
  const hasHeading = heading !== undefined && heading !== null;
  if (hasSpeed && hasHeading) return { vehicleId, ts, lat: lat as number, lon: lon as number, speedKmh: speed as number, heading: heading as number };
  if (!hasSpeed && !hasHeading) return { vehicleId, ts, lat: lat as number, lon: lon as number };
  return makePoint(vehicleId, ts, lat as number, lon as number, speed as number | undefined, heading as number | undefined);
}

// ---- canonical CSV --------------------------------------------------------------------------------

const CSV_COLUMNS = {
  vehicle_id: ['vehicle_id', 'vehicleid', 'vehicle', 'uid', 'user_id', 'taxi_id', 'device_id', 'id'],
  timestamp: ['timestamp', 'ts', 'time', 'datetime', 'unix_time'],
  lat: ['lat', 'latitude'],
  lon: ['lon', 'lng', 'long', 'longitude'],
  speed_kmh: ['speed_kmh', 'speedkmh'],
  heading: ['heading', 'bearing', 'course'],
} as const;
const REQUIRED = ['vehicle_id', 'timestamp', 'lat', 'lon'] as const;

/** The cells of a line; a quote left open takes the rest of the line (headers, detection). */
const splitCsv = (line: string): string[] => splitCsvLine(line) ?? line.split(',');

/** True when a first line looks like a CSV header naming the four required columns. */
export function looksLikeCsvHeader(line: string): boolean {
  const names = splitCsv(line.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
  return REQUIRED.every((col) => CSV_COLUMNS[col].some((alias) => names.includes(alias)));
}

/** What the in-place CSV path does with a column. */
const enum Col {
  Skip,
  Vehicle,
  Time,
  Lat,
  Lon,
  Speed,
  Heading,
}

export function csvParser(file: string, opts: ParserOptions): LineParser {
  let idx: Record<keyof typeof CSV_COLUMNS, number> | undefined;
  let width = 0;
  // The columns up to the last one read, in file order.
  let plan: Col[] = [];
  // Where the next '"' is in the current piece of text: one scan per piece, not per line.
  let quoteText = '';
  let quoteAt = -1;

  const header = (line: string, lineNo: number): null => {
    const names = splitCsv(line.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
    const found = {} as Record<keyof typeof CSV_COLUMNS, number>;
    for (const [col, aliases] of Object.entries(CSV_COLUMNS) as [keyof typeof CSV_COLUMNS, readonly string[]][]) {
      found[col] = aliases.map((a) => names.indexOf(a)).find((i) => i >= 0) ?? -1;
    }
    const missing = REQUIRED.filter((c) => found[c] < 0);
    if (missing.length) {
      throw new UserError(`${file}:${lineNo}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (header: ${excerpt(names.join(','), 120)})`);
    }
    idx = found;
    width = Math.max(...REQUIRED.map((c) => found[c]));
    plan = new Array<Col>(Math.max(width, found.speed_kmh, found.heading) + 1).fill(Col.Skip);
    plan[found.vehicle_id] = Col.Vehicle;
    plan[found.timestamp] = Col.Time;
    plan[found.lat] = Col.Lat;
    plan[found.lon] = Col.Lon;
    if (found.speed_kmh >= 0) plan[found.speed_kmh] = Col.Speed;
    if (found.heading >= 0) plan[found.heading] = Col.Heading;
    return null;
  };

  /** Any line the in-place path does not take (quotes, too few fields): split into strings. */
  const general = (ix: Record<keyof typeof CSV_COLUMNS, number>, line: string): LineResult => {
    const f = splitCsvLine(line);
    if (!f) return 'a quoted field is never closed';
    if (f.length <= width) return `expected at least ${width + 1} fields, got ${f.length}`;
    const vid = f[ix.vehicle_id].trim();
    const ts = parseTimestamp(f[ix.timestamp], opts.naiveTime);
    return point(vid, ts, numField(f[ix.lat]), numField(f[ix.lon]), ix.speed_kmh >= 0 ? numField(f[ix.speed_kmh]) : undefined, ix.heading >= 0 ? numField(f[ix.heading]) : undefined, opts);
  };

  /** The end of the field that starts at `pos` (its comma, or the line's end). */
  const fieldEnd = (text: string, pos: number, end: number): number => {
    const c = text.indexOf(',', pos);
    return c === -1 || c > end ? end : c;
  };

  return (text, start, end, lineNo) => {
    if (isBlank(text, start, end)) return null;
    if (!idx) return header(text.slice(start, end), lineNo);
    if (quoteText !== text || (quoteAt !== -1 && quoteAt < start)) {
      quoteText = text;
      quoteAt = text.indexOf('"', start);
    }
    if (quoteAt !== -1 && quoteAt < end) return general(idx, text.slice(start, end));
    // One pass along the line: numbers are read as their field is scanned, so each character is
    // looked at once; a field in another shape is cut at its comma and read the general way.
    let vid = '';
    let ts: number | string = 0;
    let lat: number | undefined;
    let lon: number | undefined;
    let speed: number | undefined;
    let heading: number | undefined;
    let pos = start;
    for (let k = 0; k < plan.length; k++) {
      if (pos > end) {
        if (k <= width) return general(idx, text.slice(start, end)); // too few fields: its reason
        break;
      }
      const col = plan[k];
      let fe: number;
      if (col === Col.Skip || col === Col.Vehicle) {
        fe = fieldEnd(text, pos, end);
        if (col === Col.Vehicle) {
          vid = text.slice(pos, fe);
          const v0 = vid.charCodeAt(0);
          const v1 = vid.charCodeAt(vid.length - 1);
          if (!(v0 > 32 && v0 < 127 && v1 > 32 && v1 < 127)) vid = vid.trim();
        }
      } else {
        const v = scanNumber(text, pos, end);
        if (v === v) fe = scanEnd;
        else fe = fieldEnd(text, pos, end);
        if (col === Col.Time) {
          ts = v === v ? (Math.abs(v) < SECONDS_LIMIT ? Math.round(v * 1000) : Math.round(v)) : parseTimestampAt(text, pos, fe, opts.naiveTime);
        } else {
          const n = v === v ? v : numberAt(text, pos, fe);
          if (col === Col.Lat) lat = n;
          else if (col === Col.Lon) lon = n;
          else if (col === Col.Speed) speed = n;
          else heading = n;
        }
      }
      pos = fe + 1;
    }
    return point(vid, ts, lat, lon, speed, heading, opts);
  };
}

// ---- JSON lines ----------------------------------------------------------------------------------

export function jsonlParser(_file: string, opts: ParserOptions): LineParser {
  return byLine((line) => {
    if (line.trim() === '') return null;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      return `not JSON: ${jsonErrorReason(err)}`;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'a line must be a JSON object';
    const r = o as Record<string, unknown>;
    const vid = r.vehicle_id ?? r.vehicleId;
    const rawTs = r.timestamp ?? r.ts;
    const ts = typeof rawTs === 'number' ? parseTimestamp(String(rawTs)) : typeof rawTs === 'string' ? parseTimestamp(rawTs, opts.naiveTime) : `timestamp missing or not a number/string`;
    const speed = r.speed_kmh ?? r.speedKmh;
    if (typeof vid !== 'string') return vid === undefined ? 'missing vehicle_id' : 'vehicle_id must be a string';
    return point(vid, ts, r.lat, r.lon, speed, r.heading, opts);
  });
}

// ---- GeoLife .plt --------------------------------------------------------------------------------

/** The GeoLife user of a .plt file: Data/<user>/Trajectory/<file>.plt. */
export function geolifeUser(file: string): string {
  const parts = file.split(sep);
  const t = parts.lastIndexOf('Trajectory');
  return t > 0 ? parts[t - 1] : basename(dirname(file));
}

export function geolifeParser(file: string, opts: ParserOptions): LineParser {
  const user = geolifeUser(file);
  return byLine((line, lineNo) => {
    if (lineNo <= 6 || line.trim() === '') return null; // the fixed six-line preamble
    const f = line.split(',');
    if (f.length < 7) return `expected 7 fields (lat,lon,0,alt,days,date,time), got ${f.length}`;
    const ts = parseTimestamp(`${f[5].trim()}T${f[6].trim()}`, 'utc'); // GeoLife times are GMT
    return point(user, ts, numField(f[0]), numField(f[1]), undefined, undefined, opts);
  });
}

// ---- Cabspotting new_<cab>.txt -------------------------------------------------------------------

export function cabspottingCab(file: string): string {
  const b = basename(file).replace(/\.gz$/i, '').replace(/\.txt$/i, '');
  return b.startsWith('new_') ? b.slice(4) : b;
}

const CAB_LINE = /^\s*[-+\d.eE]+\s+[-+\d.eE]+\s+[01]\s+\d+\s*$/;

export function cabspottingParser(file: string, opts: ParserOptions): LineParser {
  const cab = cabspottingCab(file);
  const general = (line: string): LineResult => {
    if (line.trim() === '') return null;
    const f = line.trim().split(/\s+/);
    if (f.length !== 4) return `expected 4 fields (lat lon occupancy unix_time), got ${f.length}`;
    if (!/^\d+$/.test(f[3])) return `unix_time '${excerpt(f[3], 30)}' is not an integer`;
    return point(cab, Number(f[3]) * 1000, numField(f[0]), numField(f[1]), undefined, undefined, opts);
  };
  return (text, start, end) => {
    // In place when fields are split by single spaces (as distributed); any other whitespace
    // (tabs, runs of spaces, padding, non-ASCII) takes the general way.
    let s1 = -1;
    let s2 = -1;
    let s3 = -1;
    let spaces = 0;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 32) {
        if (i === start || i === end - 1 || text.charCodeAt(i - 1) === 32) return general(text.slice(start, end));
        spaces++;
        if (spaces === 1) s1 = i;
        else if (spaces === 2) s2 = i;
        else if (spaces === 3) s3 = i;
      } else if (c < 32 || c > 126) return general(text.slice(start, end));
    }
    if (start === end) return null;
    if (spaces !== 3) return `expected 4 fields (lat lon occupancy unix_time), got ${spaces + 1}`;
    let t = 0;
    for (let i = s3 + 1; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return `unix_time '${excerpt(text.slice(s3 + 1, end), 30)}' is not an integer`;
      t = t * 10 + d;
    }
    if (end - s3 - 1 > 15) t = Number(text.slice(s3 + 1, end)); // beyond exact integers: as Number() reads it
    return point(cab, t * 1000, numberAt(text, start, s1), numberAt(text, s1 + 1, s2), undefined, undefined, opts);
  };
}

// ---- T-Drive <id>.txt ----------------------------------------------------------------------------

const TDRIVE_LINE = /^[^,]+,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},[-+\d.]+,[-+\d.]+$/;

export function tdriveParser(_file: string, opts: ParserOptions): LineParser {
  return byLine((line) => {
    if (line.trim() === '') return null;
    const f = line.split(',');
    if (f.length !== 4) return `expected 4 fields (id,datetime,lon,lat), got ${f.length}`;
    // T-Drive times are Beijing local time (UTC+8, no daylight saving).
    const ts = parseTimestamp(`${f[1].trim()}+08:00`);
    return point(f[0].trim(), ts, numField(f[3]), numField(f[2]), undefined, undefined, opts);
  });
}

export const PARSERS: Record<ConcreteFormat, (file: string, opts: ParserOptions) => LineParser> = {
  csv: csvParser,
  jsonl: jsonlParser,
  geolife: geolifeParser,
  cabspotting: cabspottingParser,
  tdrive: tdriveParser,
};

/** Guesses a file's format from its name, then from its first non-empty line; undefined when unknown. */
export function detectFormat(file: string, firstLine: string | undefined): ConcreteFormat | undefined {
  const name = basename(file).toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.plt')) return 'geolife';
  if (/^new_.*\.txt$/.test(name) && (firstLine === undefined || CAB_LINE.test(firstLine))) return 'cabspotting';
  if (name.endsWith('.csv')) return 'csv'; // then a bad header is reported as a missing column
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  if (firstLine === undefined) return undefined;
  const l = firstLine.replace(/^\uFEFF/, '').trim();
  if (l.startsWith('{')) return 'jsonl';
  if (looksLikeCsvHeader(l)) return 'csv';
  if (TDRIVE_LINE.test(l)) return 'tdrive';
  if (CAB_LINE.test(l)) return 'cabspotting';
  return undefined;
}
