// Validation at the edge: raw values (JSON objects from Kafka, fields from log lines) become typed
// GpsPoints, or a reason a person can act on. Everything downstream trusts a GpsPoint.
import { excerpt, hasControl, jsonErrorReason } from '@cotrans/core';
import type { GpsPoint } from './point.js';

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

export const MAX_VEHICLE_ID_LENGTH = 128;
/** Points more than this far in the future (device clock gone wrong) are rejected. */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;
/** Earlier than this is not a consumer GPS fix; usually epoch seconds read as milliseconds. */
export const MIN_TS_MS = Date.UTC(1990, 0, 1);

export interface ValidateOptions {
  /** "Now" for the future check, epoch ms; defaults to Date.now(). */
  now?: number;
  /** Allowed clock skew into the future, ms; default one day. */
  maxFutureMs?: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number';

/** Checks the fields of a would-be point. Returns the first problem, or undefined when it is valid. */
export function pointProblem(
  vehicleId: unknown,
  ts: unknown,
  lat: unknown,
  lon: unknown,
  speedKmh: unknown,
  heading: unknown,
  opts: ValidateOptions = {},
): string | undefined {
  if (typeof vehicleId !== 'string') return `vehicleId must be a string, got ${typeName(vehicleId)}`;
  if (vehicleId.length === 0) return 'vehicleId is empty';
  if (vehicleId.length > MAX_VEHICLE_ID_LENGTH) return `vehicleId longer than ${MAX_VEHICLE_ID_LENGTH} characters (${vehicleId.length})`;
  // an id is written into CSV files, one record a line, and shown in terminals and the dashboard
  if (hasControl(vehicleId)) return `vehicleId '${excerpt(vehicleId, 30)}' holds a control character`;
  if (!isNum(ts)) return `ts must be a number (epoch ms), got ${typeName(ts)}`;
  if (!Number.isFinite(ts)) return `ts is not a finite number (${ts})`;
  if (ts < MIN_TS_MS) return `ts ${ts} is before 1990 (epoch seconds given as milliseconds?)`;
  const now = opts.now ?? Date.now();
  const maxFuture = opts.maxFutureMs ?? MAX_FUTURE_MS;
  // beyond Date's range (±8.64e15 ms) there is no ISO text to show
  if (ts > now + maxFuture) return `ts ${ts <= 8.64e15 ? new Date(ts).toISOString() : ts} is more than ${Math.round(maxFuture / 3600000)} h in the future`;
  if (!isNum(lat)) return `lat must be a number, got ${typeName(lat)}`;
  if (!Number.isFinite(lat)) return `lat is not a finite number (${lat})`;
  if (lat < -90 || lat > 90) return `lat ${lat} out of range [-90, 90]`;
  if (!isNum(lon)) return `lon must be a number, got ${typeName(lon)}`;
  if (!Number.isFinite(lon)) return `lon is not a finite number (${lon})`;
  if (lon < -180 || lon > 180) return `lon ${lon} out of range [-180, 180]`;
  if (speedKmh !== undefined && speedKmh !== null) {
    if (!isNum(speedKmh)) return `speedKmh must be a number, got ${typeName(speedKmh)}`;
    if (!Number.isFinite(speedKmh)) return `speedKmh is not a finite number (${speedKmh})`;
    if (speedKmh < 0) return `speedKmh ${speedKmh} is negative`;
  }
  if (heading !== undefined && heading !== null) {
    if (!isNum(heading)) return `heading must be a number, got ${typeName(heading)}`;
    if (!Number.isFinite(heading)) return `heading is not a finite number (${heading})`;
    if (heading < 0 || heading >= 360) return `heading ${heading} out of range [0, 360)`;
  }
  return undefined;
}

/** Builds the record once the fields passed pointProblem (optional fields only when present). */
export function makePoint(vehicleId: string, ts: number, lat: number, lon: number, speedKmh?: number | null, heading?: number | null): GpsPoint {
  const p: GpsPoint = { vehicleId, ts, lat, lon };
  if (speedKmh !== undefined && speedKmh !== null) p.speedKmh = speedKmh;
  if (heading !== undefined && heading !== null) p.heading = heading;
  return p;
}

/**
 * Validates one raw point as it arrives in a Kafka message (an object with vehicleId, ts, lat, lon,
 * and optionally speedKmh, heading; other fields are ignored). `where` prefixes the reason
 * (e.g. "gps.points/3/1200 point 4").
 */
export function validatePoint(raw: unknown, where = '', opts: ValidateOptions = {}): Validated<GpsPoint> {
  const prefix = where ? `${where}: ` : '';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: `${prefix}a point must be a JSON object, got ${typeName(raw)}` };
  const r = raw as Record<string, unknown>;
  const problem = pointProblem(r.vehicleId, r.ts, r.lat, r.lon, r.speedKmh, r.heading, opts);
  if (problem) return { ok: false, reason: prefix + problem };
  return { ok: true, value: makePoint(r.vehicleId as string, r.ts as number, r.lat as number, r.lon as number, r.speedKmh as number | undefined, r.heading as number | undefined) };
}

export interface DecodedMessage {
  /** The valid points, in message order. */
  points: GpsPoint[];
  /** Why the message (or some of its points) was rejected; empty when everything is valid. */
  reasons: string[];
  /** Indices of rejected points within the message (empty when the whole message is unreadable or all is valid). */
  rejected: number[];
  /** True when nothing in the message could be used (not JSON, wrong shape, key missing...). */
  unreadable: boolean;
  /** Points rejected: each bad item of the array (all of them when none is good); 1 for a message that holds no readable item. */
  rejectedPoints: number;
}

/**
 * Decodes a gps.points message: key = vehicle id, value = JSON of one point or an array of points of
 * that one vehicle. A message is either fully valid, partly valid (good points go on, the bad ones are
 * named by index), or unreadable; the caller dead-letters the original bytes whenever `reasons` is non-empty.
 */
export function decodeMessage(key: Buffer | string | null | undefined, value: Buffer | string | null | undefined, opts: ValidateOptions = {}): DecodedMessage {
  const bad = (reason: string): DecodedMessage => ({ points: [], reasons: [reason], rejected: [], unreadable: true, rejectedPoints: 1 });
  if (value === null || value === undefined || value.length === 0) return bad('empty message value');
  const keyStr = key === null || key === undefined ? undefined : key.toString();
  if (keyStr === undefined || keyStr === '') return bad('missing message key (must be the vehicle id)');
  const text = value.toString();
  const vopts: ValidateOptions = { now: opts.now ?? Date.now(), maxFutureMs: opts.maxFutureMs };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON: ${jsonErrorReason(err)}`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) return bad('empty array of points');
  const points: GpsPoint[] = [];
  const reasons: string[] = [];
  const rejected: number[] = [];
  const where = (i: number) => (Array.isArray(parsed) ? `point ${i}: ` : '');
  for (let i = 0; i < items.length; i++) {
    // The hot path of the consumer: no allocation but the point itself unless something is wrong.
    const r = items[i] as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      reasons.push(`${where(i)}a point must be a JSON object, got ${typeName(r)}`);
      rejected.push(i);
      continue;
    }
    const problem = pointProblem(r.vehicleId, r.ts, r.lat, r.lon, r.speedKmh, r.heading, vopts);
    if (problem) {
      reasons.push(where(i) + problem);
      rejected.push(i);
    } else if (r.vehicleId !== keyStr) {
      reasons.push(`${where(i)}vehicleId '${excerpt(r.vehicleId as string, 40)}' does not match the message key '${excerpt(keyStr, 40)}'`);
      rejected.push(i);
    } else points.push(onlyPointFields(r) ? (r as unknown as GpsPoint) : makePoint(r.vehicleId, r.ts as number, r.lat as number, r.lon as number, r.speedKmh as number | undefined, r.heading as number | undefined));
  }
  if (points.length === 0) return { points, reasons, rejected: [], unreadable: true, rejectedPoints: items.length };
  return { points, reasons, rejected, unreadable: false, rejectedPoints: rejected.length };
}

/**
 * True when a parsed, valid object has nothing but GpsPoint fields (no extras, no nulls): it can then
 * be the record itself, which spares the consumer's hot loop one allocation per point.
 */
function onlyPointFields(r: Record<string, unknown>): boolean {
  for (const k in r) {
    switch (k) {
      case 'vehicleId':
      case 'ts':
      case 'lat':
      case 'lon':
        break;
      case 'speedKmh':
      case 'heading':
        if (r[k] === null) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string '${excerpt(v, 30)}'`;
  return typeof v;
}
