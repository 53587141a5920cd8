// From a window's day records to the feature vector (columns.ts documents every value).
import { COL, FEATURE_COLUMNS } from './columns.js';
import { weekdayOf } from './clock.js';
import { SPEED_BIN_KMH, SPEED_BINS, type DayAgg } from './day.js';
import { distanceM } from './geo.js';
import type { ResolvedOptions } from './options.js';
import { mapSimilarity, mapViews, sortedMapViews, sortedUnion, type MapViews } from './similarity.js';
import { entropy, histQuantile, mean } from './stats.js';

export interface VehicleFeatures {
  vehicleId: string;
  /** [] when OK; 'no_data', 'too_few_points', 'one_active_day'. */
  flags: string[];
  /** Kept fixes inside the window. */
  nPoints: number;
  /** Aligned with FEATURE_COLUMNS; NaN only where columns.ts says so. */
  values: number[];
}

/** Stays (and overnight places) within this distance of a location's first member join it (m). */
export const PLACE_RADIUS_M = 200;

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Greedy grouping in order: each place joins the first group whose seed is within PLACE_RADIUS_M. Returns the group index per place. */
function groupPlaces(lats: number[], lons: number[]): { group: number[]; n: number } {
  const seedLat: number[] = [];
  const seedLon: number[] = [];
  const group: number[] = [];
  for (let i = 0; i < lats.length; i++) {
    let g = -1;
    for (let j = 0; j < seedLat.length; j++) {
      if (distanceM(seedLat[j], seedLon[j], lats[i], lons[i]) <= PLACE_RADIUS_M) {
        g = j;
        break;
      }
    }
    if (g < 0) {
      g = seedLat.length;
      seedLat.push(lats[i]);
      seedLon.push(lons[i]);
    }
    group.push(g);
  }
  return { group, n: seedLat.length };
}

export function summarise(vehicleId: string, days: DayAgg[], opts: ResolvedOptions): VehicleFeatures {
  const v = new Array<number>(FEATURE_COLUMNS.length).fill(0);
  const set = (name: string, x: number) => {
    v[COL[name]] = x;
  };
  const n = days.length;
  let nPoints = 0;
  for (const d of days) nPoints += d.nPoints;
  const flags: string[] = [];
  if (nPoints === 0) flags.push('no_data');
  else if (nPoints < opts.minPoints) flags.push('too_few_points');
  if (n === 1) flags.push('one_active_day');
  if (n === 0) {
    set('sim_days_mean', NaN);
    set('sim_days_entropy', NaN);
    set('weekend_weekday_ratio', NaN);
    return { vehicleId, flags, nPoints, values: v };
  }

  // transferable features: per-day values, then mean and entropy
  const dist = days.map((d) => d.distM / 1000);
  const whole: MapViews[] = [];
  const cov: number[] = [];
  const simAmPm: number[] = [];
  const simAmEve: number[] = [];
  const simPmEve: number[] = [];
  for (const d of days) {
    const all = sortedUnion(d.periods);
    cov.push(all.length);
    whole.push(sortedMapViews(all));
    const am = mapViews(d.periods[1]);
    const pm = mapViews(d.periods[2]);
    const eve = mapViews(d.periods[3]);
    simAmPm.push(mapSimilarity(am, pm));
    simAmEve.push(mapSimilarity(am, eve));
    simPmEve.push(mapSimilarity(pm, eve));
  }
  set('dist_mean_km', mean(dist));
  set('dist_entropy', entropy(dist));
  set('cov_mean_cells', mean(cov));
  set('cov_entropy', entropy(cov));
  set('sim_am_pm_mean', mean(simAmPm));
  set('sim_am_pm_entropy', entropy(simAmPm));
  set('sim_am_eve_mean', mean(simAmEve));
  set('sim_am_eve_entropy', entropy(simAmEve));
  set('sim_pm_eve_mean', mean(simPmEve));
  set('sim_pm_eve_entropy', entropy(simPmEve));
  if (n >= 2) {
    const pair = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pair[i * n + j] = pair[j * n + i] = mapSimilarity(whole[i], whole[j]);
    const perDay: number[] = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) if (j !== i) s += pair[i * n + j];
      perDay.push(s / (n - 1));
    }
    set('sim_days_mean', mean(perDay));
    set('sim_days_entropy', entropy(perDay));
  } else {
    set('sim_days_mean', NaN);
    set('sim_days_entropy', NaN);
  }

  // richer target-side features
  let hours = 0;
  let movingS = 0;
  let movingDist = 0;
  let nightS = 0;
  let trips = 0;
  let tripLen = 0;
  let tripDur = 0;
  let observed = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  const hist = new Float64Array(SPEED_BINS);
  const stayLat: number[] = [];
  const stayLon: number[] = [];
  const stayDur: number[] = [];
  let engineS = 0;
  let sessionMax = 0;
  let shiftSessions = 0;
  let wkndKm = 0;
  let wkndDays = 0;
  let wkKm = 0;
  let wkDays = 0;
  for (const d of days) {
    hours += popcount(d.hourMask);
    movingS += d.movingS;
    movingDist += d.distM;
    nightS += d.nightMovingS;
    trips += d.trips;
    tripLen += d.tripLenM;
    tripDur += d.tripDurS;
    observed += d.observedS;
    sx += d.rgSx;
    sy += d.rgSy;
    sxx += d.rgSxx;
    engineS += d.engineS;
    if (d.sessionMaxS > sessionMax) sessionMax = d.sessionMaxS;
    shiftSessions += d.longSessions;
    for (let i = 0; i < SPEED_BINS; i++) hist[i] += d.speedHist[i];
    for (let i = 0; i < d.stays.length; i += 4) {
      stayLat.push(d.stays[i]);
      stayLon.push(d.stays[i + 1]);
      stayDur.push((d.stays[i + 3] - d.stays[i + 2]) / 1000);
    }
    const wd = weekdayOf(d.day);
    if (wd === 0 || wd === 6) {
      wkndKm += d.distM / 1000;
      wkndDays++;
    } else {
      wkKm += d.distM / 1000;
      wkDays++;
    }
  }
  set('active_days', n);
  set('active_hours_per_day', hours / n);
  set('drive_hours_per_day', movingS / 3600 / n);
  set('trips_per_day', trips / n);
  set('trip_len_mean_km', trips ? tripLen / trips / 1000 : 0);
  set('trip_dur_mean_min', trips ? tripDur / trips / 60 : 0);
  set('stays_per_day', stayLat.length / n);
  const places = groupPlaces(stayLat, stayLon);
  set('stay_locations', places.n);
  const perPlace = new Float64Array(places.n);
  for (let i = 0; i < stayDur.length; i++) perPlace[places.group[i]] += stayDur[i];
  let top = 0;
  for (let i = 0; i < places.n; i++) if (perPlace[i] > top) top = perPlace[i];
  set('top_location_share', observed > 0 ? Math.min(1, top / observed) : 0);
  const nights = groupPlaces(
    days.map((d) => d.lastLat),
    days.map((d) => d.lastLon),
  );
  const nightCount = new Array<number>(nights.n).fill(0);
  for (const g of nights.group) nightCount[g]++;
  set('overnight_consistency', Math.max(...nightCount) / n);
  set('night_drive_share', movingS > 0 ? nightS / movingS : 0);
  if (nPoints > 0) {
    const mx = sx / nPoints;
    const my = sy / nPoints;
    set('rg_km', Math.sqrt(Math.max(0, sxx / nPoints - mx * mx - my * my)) / 1000);
  }
  set('speed_mean_kmh', movingS > 0 ? (movingDist / movingS) * 3.6 : 0);
  set('speed_p50_kmh', histQuantile(hist, SPEED_BIN_KMH, 0.5));
  set('speed_p90_kmh', histQuantile(hist, SPEED_BIN_KMH, 0.9));
  set('engine_hours_per_day', engineS / 3600 / n);
  set('session_max_h', sessionMax / 3600);
  set('shift_sessions', shiftSessions);
  set('idle_engine_share', engineS > 0 ? Math.max(0, Math.min(1, 1 - movingS / engineS)) : 0);
  set('weekend_weekday_ratio', wkndDays && wkDays ? (wkndKm / wkndDays + 1) / (wkKm / wkDays + 1) : NaN);
  return { vehicleId, flags, nPoints, values: v };
}
