export { readPredictions, readTruth, type Prediction } from './predictions.js';
export { ReviewStore, VERDICTS, type Review, type Verdict } from './reviews.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
