// @cotrans/features: cleaning, per-vehicle streaming window state, features and trajectory images.
export { COLUMN_DOCS, FEATURE_COLUMNS, TRANSFERABLE_COLUMNS, NAN_COLUMNS, type ColumnDoc } from './columns.js';
export { DEFAULTS, resolveOptions, type FeatureOptions, type CleaningOptions, type ResolvedOptions, type Frame, type Bbox } from './options.js';
export { VehicleWindow, emptyCounts, addCounts, MOVING_KMH, MIN_TRIP_M, type CleaningCounts, type WindowResult, type WindowSnapshot } from './window.js';
export { SCALAR_STATE, DERIVED_FIELDS } from './window-snapshot.js';
export { PLACE_RADIUS_M, type VehicleFeatures } from './summarise.js';
export { dayStack, toGrey8, DAY_S, type VehicleImages } from './images.js';
export { pngFromPixels, readPng, writeVehiclePngs, vehiclePngs, safeName } from './png.js';
export { computeFleet, fleetBbox, type FleetResult, type ComputeFleetOptions } from './fleet.js';
export { CSV_HEADER, featuresToCsv, featuresCsvHeader, featuresCsvRow, parseFeaturesCsv } from './csv.js';
export { LocalClock, clockFor, dayKey, weekdayOf } from './clock.js';
export { distanceM, haversineM } from './geo.js';
export { jaccard, shiftJaccard, jaccardSorted, sortedCells, mapSimilarity, mapViews, sortedMapViews, sortedUnion, laplacianCells, pooledCells, type MapViews } from './similarity.js';
export { entropy, mean } from './stats.js';
export { SqliteWindowStore, type WindowStoreCounters, type WindowStoreResultOptions, type StagedBatch } from './window-store.js';
export { readLabels, readPredictions, writePredictions, predictionsCsv, PREDICTIONS_HEADER, type LabelRow, type PredictionRow, type PredictionsMeta } from './labels-csv.js';
