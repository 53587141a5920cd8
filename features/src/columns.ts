// Every feature column, in CSV order, with its unit and definition. features/README.md carries the
// same table (a test checks that every column is documented there).

export interface ColumnDoc {
  name: string;
  unit: string;
  definition: string;
  /**
   * Stage 1 links source and target on these: the 12 features of the reference work, plus the shift
   * structure, which keeps its meaning with sparse reporting, 15 s or 60 s sampling and 3 or 7 active days.
   */
  transferable: boolean;
}

const SIM =
  'map similarity (see "Map similarity"): 0.4 x raw + 0.3 x Laplacian + 0.3 x 2x2 max-pooled, each the mean of smoothed Jaccard over no shift and one-cell shifts';

export const COLUMN_DOCS: readonly ColumnDoc[] = [
  { name: 'dist_mean_km', unit: 'km/day', definition: 'mean over active days of the daily distance: sum of the lengths of moving segments between kept fixes (implied speed >= 5 km/h; slower is GPS wander of a parked car), none across a gap > maxGapS', transferable: true },
  { name: 'dist_entropy', unit: 'nats', definition: 'entropy of the daily distances (normalised to sum 1, natural log); 0 when all are 0', transferable: true },
  { name: 'cov_mean_cells', unit: 'cells/day', definition: 'mean over active days of the daily coverage: number of distinct 1 km x 1 km map cells (mapCellM) holding at least one fix', transferable: true },
  { name: 'cov_entropy', unit: 'nats', definition: 'entropy of the daily coverages', transferable: true },
  { name: 'sim_am_pm_mean', unit: '0-1', definition: `mean over active days of the ${SIM}, between the 06-12 and 12-18 local-time maps of the day`, transferable: true },
  { name: 'sim_am_pm_entropy', unit: 'nats', definition: 'entropy of the daily 06-12 vs 12-18 similarities', transferable: true },
  { name: 'sim_am_eve_mean', unit: '0-1', definition: 'mean over active days of the map similarity between the 06-12 and 18-24 maps', transferable: true },
  { name: 'sim_am_eve_entropy', unit: 'nats', definition: 'entropy of the daily 06-12 vs 18-24 similarities', transferable: true },
  { name: 'sim_pm_eve_mean', unit: '0-1', definition: 'mean over active days of the map similarity between the 12-18 and 18-24 maps', transferable: true },
  { name: 'sim_pm_eve_entropy', unit: 'nats', definition: 'entropy of the daily 12-18 vs 18-24 similarities', transferable: true },
  { name: 'sim_days_mean', unit: '0-1', definition: "mean over active days of the day's similarity to the other active days (mean of the pairwise map similarities of the whole-day maps); NaN with fewer than 2 active days", transferable: true },
  { name: 'sim_days_entropy', unit: 'nats', definition: 'entropy of the per-day values behind sim_days_mean; NaN with fewer than 2 active days', transferable: true },
  { name: 'active_days', unit: 'days', definition: 'local calendar days of the window with at least one kept fix', transferable: false },
  { name: 'active_hours_per_day', unit: 'h/day', definition: 'mean over active days of the number of local clock hours in which the vehicle moved (a segment >= 5 km/h started in that hour)', transferable: false },
  { name: 'drive_hours_per_day', unit: 'h/day', definition: 'moving time (segments >= 5 km/h, no gap) per active day', transferable: false },
  { name: 'trips_per_day', unit: 'trips/day', definition: 'trips per active day; a trip is the movement between two stays (a stop of >= stayMinS within stayRadiusM splits trips; a gap with displacement > stayRadiusM also ends one); trips shorter than 250 m are ignored', transferable: false },
  { name: 'trip_len_mean_km', unit: 'km', definition: 'mean trip length (0 without trips)', transferable: false },
  { name: 'trip_dur_mean_min', unit: 'min', definition: 'mean trip duration (0 without trips)', transferable: false },
  { name: 'stays_per_day', unit: 'stays/day', definition: 'stay points per active day (Li et al. 2008: the vehicle stays within stayRadiusM = 100 m of an anchor fix for >= stayMinS = 5 min)', transferable: false },
  { name: 'stay_locations', unit: 'count', definition: 'distinct stay locations in the window: stay points grouped greedily in time order, a stay joining the first location within 200 m', transferable: false },
  { name: 'top_location_share', unit: '0-1', definition: 'stay time at the location with the most stay time, divided by the observed time (sum of intervals between kept fixes, gaps counted only when the vehicle did not move)', transferable: false },
  { name: 'overnight_consistency', unit: '0-1', definition: "share of active days whose last fix (local time) lies at the most common such place (greedy 200 m grouping); 1 with a single active day", transferable: false },
  { name: 'night_drive_share', unit: '0-1', definition: 'share of moving time in local hours 00-05 (00:00 to 04:59); 0 without movement', transferable: false },
  { name: 'rg_km', unit: 'km', definition: 'radius of gyration of the kept fixes (root mean square distance to their centroid, local planar projection)', transferable: false },
  { name: 'speed_mean_kmh', unit: 'km/h', definition: 'moving distance / moving time (segments >= 5 km/h); 0 without movement', transferable: false },
  { name: 'speed_p50_kmh', unit: 'km/h', definition: 'time-weighted median of moving segment speeds (2 km/h histogram, linear within a bin); 0 without movement', transferable: false },
  { name: 'speed_p90_kmh', unit: 'km/h', definition: 'time-weighted 90th percentile of moving segment speeds; 0 without movement', transferable: false },
  { name: 'engine_hours_per_day', unit: 'h/day', definition: 'engine-on time per active day: intervals between kept fixes no longer than maxGapS, moving or waiting', transferable: true },
  { name: 'session_max_h', unit: 'h', definition: 'the longest session of the window: a run of kept fixes no more than maxGapS apart (a platform shift lasts hours, a private trip rarely two)', transferable: true },
  { name: 'shift_sessions', unit: 'count', definition: 'sessions of at least 2 h in the window (SHIFT_SESSION_S), each counted on the local day it started', transferable: true },
  { name: 'idle_engine_share', unit: '0-1', definition: 'share of the engine-on time spent slower than 5 km/h (waiting for a fare, a pick-up, traffic); 0 without engine-on time', transferable: false },
  { name: 'weekend_weekday_ratio', unit: 'ratio', definition: '(mean daily km on weekend active days + 1) / (mean daily km on weekday active days + 1), local Saturday/Sunday; NaN when the window has no weekend or no weekday active day', transferable: false },
];

/** Every documented feature column, in CSV order (after vehicle_id, flags, n_points). */
export const FEATURE_COLUMNS: readonly string[] = Object.freeze(COLUMN_DOCS.map((c) => c.name));
/** Stage 1's features: the 12 of the reference work and the shift structure (a subset of FEATURE_COLUMNS). */
export const TRANSFERABLE_COLUMNS: readonly string[] = Object.freeze(COLUMN_DOCS.filter((c) => c.transferable).map((c) => c.name));
/** Columns that may hold NaN, and when (documented above). */
export const NAN_COLUMNS: readonly string[] = Object.freeze(['sim_days_mean', 'sim_days_entropy', 'weekend_weekday_ratio']);

export const COL: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(FEATURE_COLUMNS.map((n, i) => [n, i])));
