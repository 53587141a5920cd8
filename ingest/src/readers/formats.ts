// One parser per log format. A parser turns one line into a point, a reason (a bad line), or null
// (a line that carries no point: blank, header, GeoLife preamble). Per-file state lives in the parser.
import { basename, dirname, sep } from 'node:path';
import type { GpsPoint } from '../point.js';
import { makePoint, pointProblem, type ValidateOptions } from '../validate.js';
import { InputError } from '../errors.js';
import { parseTimestamp, type NaiveTime } from './timestamp.js';

export type LogFormat = 'auto' | 'csv' | 'jsonl' | 'geolife' | 'cabspotting' | 'tdrive';
export type ConcreteFormat = Exclude<LogFormat, 'auto'>;
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'csv', 'jsonl', 'geolife', 'cabspotting', 'tdrive'];

export type LineResult = GpsPoint | string | null;
export type LineParser = (line: string, lineNo: number) => LineResult;

export interface ParserOptions extends ValidateOptions {
  naiveTime?: NaiveTime;
}

/** The number in a text field, or NaN (so validation names the field). Empty means absent. */
function numField(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === '') return undefined;
  return Number(t);
}

function point(vehicleId: string, ts: number | string, lat: unknown, lon: unknown, speed: unknown, heading: unknown, opts: ParserOptions): GpsPoint | string {
  if (typeof ts === 'string') return ts;
  const problem = pointProblem(vehicleId, ts, lat, lon, speed, heading, opts);
  if (problem) return problem;
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

function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** True when a first line looks like a CSV header naming the four required columns. */
export function looksLikeCsvHeader(line: string): boolean {
  const names = splitCsv(line.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
  return REQUIRED.every((col) => CSV_COLUMNS[col].some((alias) => names.includes(alias)));
}

export function csvParser(file: string, opts: ParserOptions): LineParser {
  let idx: Record<keyof typeof CSV_COLUMNS, number> | undefined;
  let width = 0;
  return (line, lineNo) => {
    if (line.trim() === '') return null;
    if (!idx) {
      const names = splitCsv(line.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
      const found = {} as Record<keyof typeof CSV_COLUMNS, number>;
      for (const [col, aliases] of Object.entries(CSV_COLUMNS) as [keyof typeof CSV_COLUMNS, readonly string[]][]) {
        found[col] = aliases.map((a) => names.indexOf(a)).find((i) => i >= 0) ?? -1;
      }
      const missing = REQUIRED.filter((c) => found[c] < 0);
      if (missing.length) {
        throw new InputError(`${file}:${lineNo}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (header: ${names.join(',').slice(0, 120)})`);
      }
      idx = found;
      width = Math.max(...REQUIRED.map((c) => found[c]));
      return null;
    }
    const f = splitCsv(line);
    if (f.length <= width) return `expected at least ${width + 1} fields, got ${f.length}`;
    const vid = f[idx.vehicle_id].trim();
    const ts = parseTimestamp(f[idx.timestamp], opts.naiveTime);
    return point(vid, ts, numField(f[idx.lat]), numField(f[idx.lon]), idx.speed_kmh >= 0 ? numField(f[idx.speed_kmh]) : undefined, idx.heading >= 0 ? numField(f[idx.heading]) : undefined, opts);
  };
}

// ---- JSON lines ----------------------------------------------------------------------------------

export function jsonlParser(_file: string, opts: ParserOptions): LineParser {
  return (line) => {
    if (line.trim() === '') return null;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      return `not JSON: ${(err as Error).message}`;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'a line must be a JSON object';
    const r = o as Record<string, unknown>;
    const vid = r.vehicle_id ?? r.vehicleId;
    const rawTs = r.timestamp ?? r.ts;
    const ts = typeof rawTs === 'number' ? parseTimestamp(String(rawTs)) : typeof rawTs === 'string' ? parseTimestamp(rawTs, opts.naiveTime) : `timestamp missing or not a number/string`;
    const speed = r.speed_kmh ?? r.speedKmh;
    if (typeof vid !== 'string') return vid === undefined ? 'missing vehicle_id' : 'vehicle_id must be a string';
    return point(vid, ts, r.lat, r.lon, speed, r.heading, opts);
  };
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
  return (line, lineNo) => {
    if (lineNo <= 6 || line.trim() === '') return null; // the fixed six-line preamble
    const f = line.split(',');
    if (f.length < 7) return `expected 7 fields (lat,lon,0,alt,days,date,time), got ${f.length}`;
    const ts = parseTimestamp(`${f[5].trim()}T${f[6].trim()}`, 'utc'); // GeoLife times are GMT
    return point(user, ts, numField(f[0]), numField(f[1]), undefined, undefined, opts);
  };
}

// ---- Cabspotting new_<cab>.txt -------------------------------------------------------------------

export function cabspottingCab(file: string): string {
  const b = basename(file).replace(/\.gz$/i, '').replace(/\.txt$/i, '');
  return b.startsWith('new_') ? b.slice(4) : b;
}

const CAB_LINE = /^\s*[-+\d.eE]+\s+[-+\d.eE]+\s+[01]\s+\d+\s*$/;

export function cabspottingParser(file: string, opts: ParserOptions): LineParser {
  const cab = cabspottingCab(file);
  return (line) => {
    if (line.trim() === '') return null;
    const f = line.trim().split(/\s+/);
    if (f.length !== 4) return `expected 4 fields (lat lon occupancy unix_time), got ${f.length}`;
    if (!/^\d+$/.test(f[3])) return `unix_time '${f[3]}' is not an integer`;
    return point(cab, Number(f[3]) * 1000, numField(f[0]), numField(f[1]), undefined, undefined, opts);
  };
}

// ---- T-Drive <id>.txt ----------------------------------------------------------------------------

const TDRIVE_LINE = /^[^,]+,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},[-+\d.]+,[-+\d.]+$/;

export function tdriveParser(_file: string, opts: ParserOptions): LineParser {
  return (line) => {
    if (line.trim() === '') return null;
    const f = line.split(',');
    if (f.length !== 4) return `expected 4 fields (id,datetime,lon,lat), got ${f.length}`;
    // T-Drive times are Beijing local time (UTC+8, no daylight saving).
    const ts = parseTimestamp(`${f[1].trim()}+08:00`);
    return point(f[0].trim(), ts, numField(f[3]), numField(f[2]), undefined, undefined, opts);
  };
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
