// Options of the features stage, with their defaults in one place (the README quotes them).
import { UserError } from '@cotrans/core';

export type Frame = 'vehicle' | 'city';
export type Bbox = [minLon: number, minLat: number, maxLon: number, maxLat: number];

export interface CleaningOptions {
  /** Fixes closer in time than this to the previous kept fix are near duplicates (ms). Default 1000. */
  nearDuplicateMs?: number;
  /** A fix whose implied speed from BOTH neighbours exceeds this is an impossible jump (km/h). Default 250. */
  maxSpeedKmh?: number;
  /** No distance (nor driving time) is counted across a gap longer than this (s). Default 600. */
  maxGapS?: number;
  /** Out-of-order tolerance of the streaming window (ms of event time); older arrivals are dropped as late. Default 900000 (15 min). */
  latenessMs?: number;
}

export interface FeatureOptions extends CleaningOptions {
  /** IANA time zone of the fleet (local days, night hours, weekends). */
  tz: string;
  /** Window length in local calendar days; older days slide out. Default 7. */
  windowDays?: number;
  /** Image side in pixels: 24 (default), 32 or 64 (any 4..256 works). */
  imageSize?: number;
  /** Image frame: 'vehicle' (centred on the most visited cell, fixed cell size; default) or 'city' (bbox). */
  frame?: Frame;
  /** Extent of the 'city' frame: minLon, minLat, maxLon, maxLat. Required for frame 'city' in VehicleWindow. */
  bbox?: Bbox | null;
  /** Pixel size of the 'vehicle' frame, metres. Default 1000. */
  imageCellM?: number;
  /** Cell size of the coverage / map-similarity grids, metres (fixed so features transfer between cities). Default 1000. */
  mapCellM?: number;
  /** Stay point radius (m) and minimum duration (s): a stop of at least this long splits trips. Defaults 100 m, 300 s. */
  stayRadiusM?: number;
  stayMinS?: number;
  /** Vehicles with fewer kept points than this are flagged 'too_few_points'. Default 50. */
  minPoints?: number;
  /** Compute images (default true); features alone are cheaper. */
  images?: boolean;
}

export type ResolvedOptions = Required<Omit<FeatureOptions, 'bbox'>> & { bbox: Bbox | null };

export const DEFAULTS = {
  windowDays: 7,
  imageSize: 24,
  frame: 'vehicle' as Frame,
  imageCellM: 1000,
  mapCellM: 1000,
  stayRadiusM: 100,
  stayMinS: 300,
  minPoints: 50,
  nearDuplicateMs: 1000,
  maxSpeedKmh: 250,
  maxGapS: 600,
  latenessMs: 900_000,
  images: true,
} as const;

/** Fills defaults and validates; errors are UserErrors naming the option. */
export function resolveOptions(o: FeatureOptions): ResolvedOptions {
  if (!o || typeof o.tz !== 'string' || !o.tz) throw new UserError('features: option tz (IANA time zone) is required');
  const r: ResolvedOptions = {
    tz: o.tz,
    windowDays: o.windowDays ?? DEFAULTS.windowDays,
    imageSize: o.imageSize ?? DEFAULTS.imageSize,
    frame: o.frame ?? DEFAULTS.frame,
    bbox: o.bbox ?? null,
    imageCellM: o.imageCellM ?? DEFAULTS.imageCellM,
    mapCellM: o.mapCellM ?? DEFAULTS.mapCellM,
    stayRadiusM: o.stayRadiusM ?? DEFAULTS.stayRadiusM,
    stayMinS: o.stayMinS ?? DEFAULTS.stayMinS,
    minPoints: o.minPoints ?? DEFAULTS.minPoints,
    nearDuplicateMs: o.nearDuplicateMs ?? DEFAULTS.nearDuplicateMs,
    maxSpeedKmh: o.maxSpeedKmh ?? DEFAULTS.maxSpeedKmh,
    maxGapS: o.maxGapS ?? DEFAULTS.maxGapS,
    latenessMs: o.latenessMs ?? DEFAULTS.latenessMs,
    images: o.images ?? DEFAULTS.images,
  };
  const int = (name: keyof ResolvedOptions, min: number, max: number) => {
    const v = r[name] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new UserError(`features: option ${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  const pos = (name: keyof ResolvedOptions) => {
    const v = r[name] as number;
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new UserError(`features: option ${name} must be a positive number, got ${v}`);
  };
  int('windowDays', 1, 366);
  int('imageSize', 4, 256);
  int('minPoints', 0, 1e9);
  pos('imageCellM');
  pos('mapCellM');
  pos('stayRadiusM');
  pos('stayMinS');
  pos('maxSpeedKmh');
  pos('maxGapS');
  if (!(r.nearDuplicateMs >= 0)) throw new UserError(`features: option nearDuplicateMs must be >= 0, got ${r.nearDuplicateMs}`);
  if (!(r.latenessMs >= 0 && Number.isFinite(r.latenessMs))) throw new UserError(`features: option latenessMs must be a finite number >= 0, got ${r.latenessMs}`);
  if (r.frame !== 'vehicle' && r.frame !== 'city') throw new UserError(`features: option frame must be 'vehicle' or 'city', got '${r.frame}'`);
  if (r.bbox) {
    const [a, b, c, d] = r.bbox;
    if (![a, b, c, d].every(Number.isFinite) || a >= c || b >= d || b < -90 || d > 90 || a < -180 || c > 180) {
      throw new UserError(`features: option bbox must be minLon,minLat,maxLon,maxLat with min < max, got ${r.bbox.join(',')}`);
    }
  }
  return r;
}
