// Distances on the hot path: an equirectangular approximation with the cosine taken at the
// segment's mean latitude. Over the few hundred metres between two fixes it differs from
// haversine by far less than GPS noise, and it costs one Math.cos instead of four trig calls.
export const EARTH_RADIUS_M = 6_371_008.8;
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

/** Haversine distance in metres, for tests and for checking the approximation. */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const p1 = lat1 * RAD;
  const p2 = lat2 * RAD;
  const dp = p2 - p1;
  const dl = (lon2 - lon1) * RAD;
  const a = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Metres per degree of longitude at a latitude. */
export function mPerDegLon(lat: number): number {
  return M_PER_DEG_LAT * Math.cos(lat * RAD);
}
