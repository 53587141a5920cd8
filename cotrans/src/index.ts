export { RandomForestClassifier, permutationImportance, argmax, resolveMtry } from './rf/forest.js';
export type { RandomForestOptions, RandomForestJSON, FitOptions, Label } from './rf/forest.js';
export { binMatrix, computeEdges, binOf } from './rf/binning.js';
export { defaultWorkerScript } from './rf/pool.js';
export { mulberry32, deriveSeed, shuffle, gaussian } from './rng.js';
export { initTf } from './cnn/backend.js';
export type { Tf, BackendPreference } from './cnn/backend.js';
export { Cnn, DEFAULT_CNN } from './cnn/net.js';
export type { CnnConfig, ConvBlock, EpochLog, CnnFitResult } from './cnn/net.js';
