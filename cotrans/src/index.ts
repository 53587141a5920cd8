export { RandomForestClassifier, permutationImportance, argmax, resolveMtry } from './rf/forest.js';
export type { RandomForestOptions, RandomForestJSON, FitOptions, Label } from './rf/forest.js';
export { binMatrix, computeEdges, binOf } from './rf/binning.js';
export { defaultWorkerScript } from './rf/pool.js';
export { mulberry32, deriveSeed, shuffle, gaussian } from './rng.js';
