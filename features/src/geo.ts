// Distances on the hot path: an equirectangular approximation with the cosine taken at the
// segment's mean latitude. Over the few hundred metres between two fixes it differs from
// haversine by far less than GPS noise, and it costs one Math.cos instead of four trig calls.
import { EARTH_RADIUS_M } from '@cotrans/core';

export { EARTH_RADIUS_M, haversineM } from '@cotrans/core';
const RAD = Math.PI / 180;
/** Metres per degree of latitude on the mean-radius sphere. */
export const M_PER_DEG_LAT = EARTH_RADIUS_M * RAD;

/** Approximate ground distance in metres between two fixes (degrees). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const k = Math.cos((lat1 + lat2) * 0.5 * RAD);
  const dx = (lon2 - lon1) * k;
  const dy = lat2 - lat1;
  return Math.sqrt(dx * dx + dy * dy) * M_PER_DEG_LAT;
}

/** Metres per degree of longitude at a latitude. */
export function mPerDegLon(lat: number): number {
  return M_PER_DEG_LAT * Math.cos(lat * RAD);
}
