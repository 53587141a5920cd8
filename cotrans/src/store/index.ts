export { LABELS_COMPONENT, LABEL_MIGRATIONS, migrateLabels } from './schema.js';
export { recordLabels, latestLabels, labelHistory, scoringFeatures, pruneScoringFeatures, recordImages, vehicleImages, type LabelValue, type LabelRecord, type ScoringRecord, type LabelChange, type LabelQuery } from './labels.js';
export { recordModelVersion, modelVersions, modelVersion, modelSummary, type ModelSummary, type ModelVersionRecord } from './models.js';
export { storeScoring, scoringRecords, featuresByColumn, type ScoredFleet, type StoreScoringInput } from './scoring.js';
