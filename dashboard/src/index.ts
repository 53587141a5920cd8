export { readPredictions, readTruth, type Prediction } from './predictions.js';
export { ReviewStore, readReviewedLabels, VERDICTS, REVIEWS_COMPONENT, REVIEW_MIGRATIONS, type Review, type Verdict } from './reviews.js';
export { StoreSource, STALE_AFTER_MS, type ModelInfo, type PollResult } from './store-source.js';
export { Fleet, parseQuery, type Summary, type Vehicle, type VehicleQuery } from './fleet.js';
export { csvCell } from './csv.js';
export { LruCache } from './lru.js';
export { loadTokens, parseTokens, MIN_TOKEN_LENGTH, type WriteToken } from './tokens.js';
export { SECURITY_HEADERS, WRITE_HEADER } from './guard.js';
export { startDashboard, DEFAULT_IMAGE_CACHE, type Dashboard, type DashboardOptions } from './server.js';
