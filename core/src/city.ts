// city.json: the fleet's time zone and extent, written next to the points by `cotrans simulate`.
// Every command that reads one goes through here, so a malformed file gets one message everywhere.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from './errors.js';
import { readJsonObject } from './json.js';
import { excerpt } from './text.js';
import { isValidTimeZone } from './tz.js';

export interface CityInfo {
  file: string;
  tz?: string;
  bbox?: [number, number, number, number];
  centre?: { lat: number; lon: number };
}

/** The city.json that belongs to a log path: in it (a directory) or next to it (a file). */
export function cityFileOf(input: string): string {
  let dir = dirname(input);
  try {
    if (statSync(input).isDirectory()) dir = input;
  } catch {
    // a missing input is the reader's to report
  }
  return join(dir, 'city.json');
}

/** The city.json of `input`; null when there is none; a UserError when it is there but bad. */
export async function readCity(input: string): Promise<CityInfo | null> {
  const file = cityFileOf(input);
  if (!existsSync(file)) return null;
  const j = await readJsonObject(file, 'city file');
  const out: CityInfo = { file };
  if (j.tz !== undefined) {
    if (typeof j.tz !== 'string' || !isValidTimeZone(j.tz)) throw UserError.at({ file, field: 'tz' }, `'${excerpt(String(j.tz))}' is not an IANA time zone (e.g. Europe/Berlin)`);
    out.tz = j.tz;
  }
  if (j.bbox !== undefined) {
    const b = j.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === 'number' && Number.isFinite(x))) throw UserError.at({ file, field: 'bbox' }, 'expected [minLon, minLat, maxLon, maxLat]');
    out.bbox = b as CityInfo['bbox'];
  }
  const c = j.centre as { lat?: unknown; lon?: unknown } | undefined;
  if (c && typeof c === 'object' && typeof c.lat === 'number' && typeof c.lon === 'number') out.centre = { lat: c.lat, lon: c.lon };
  return out;
}
